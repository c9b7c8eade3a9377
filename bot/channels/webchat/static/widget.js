/* supportbot web chat: <script src="https://bot.example.com/widget.js" async></script>
   Optional data- attributes: data-title, data-language (en, zh), data-colour (#rrggbb),
   data-position (left, right), data-customer-id + data-customer-signature (signed by the
   shop's backend). Our own code, no framework, no build step. Everything a visitor or the bot
   writes is shown as text (textContent), never parsed as HTML. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__supportbotWidget) return;
  window.__supportbotWidget = true;
  var base = new URL(script.src).origin;
  var data = script.dataset;
  var lang = (data.language || document.documentElement.lang || navigator.language || "en")
    .toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  var L = {
    en: {
      title: "Chat with us", open: "Open the chat", close: "Close the chat",
      input: "Your message", send: "Send", menu: "Menu", more: "More",
      human: "Talk to a person", bot: "Back to the bot", reset: "Start over",
      forget: "Delete my data", confirmForget: "Delete everything stored about you?",
      related: "Related questions:", up: "Helpful",
      down: "Not helpful", you: "You", botName: "Assistant", agent: "Team",
      hello: "Hello! Ask me anything about our shop.", failed: "Not sent yet, retrying…",
      typing: "Answering…"
    },
    zh: {
      title: "在线客服", open: "打开聊天", close: "关闭聊天", input: "您的消息",
      send: "发送", menu: "菜单", more: "更多", human: "联系人工客服",
      bot: "返回机器人", reset: "重新开始", forget: "删除我的数据",
      confirmForget: "删除我们保存的关于您的所有内容？", related: "相关问题：", up: "有帮助", down: "没有帮助", you: "您", botName: "助手",
      agent: "客服", hello: "您好！有任何关于本店的问题都可以问我。",
      failed: "尚未发送，正在重试…", typing: "正在回答…"
    }
  }[lang];
  var accent = /^#[0-9a-fA-F]{3,8}$/.test(data.colour || data.color || "")
    ? (data.colour || data.color) : "#1d4ed8";
  var KEY = "supportbot:" + base;
  var store = {
    get: function (k) { try { return JSON.parse(localStorage.getItem(KEY + k)); } catch (e) { return null; } },
    set: function (k, v) { try { localStorage.setItem(KEY + k, JSON.stringify(v)); } catch (e) { /* private mode */ } },
    drop: function (k) { try { localStorage.removeItem(KEY + k); } catch (e) { /* ignore */ } }
  };
  var CSS = ":host{all:initial}*{box-sizing:border-box;font:15px/1.4 system-ui,sans-serif}" +
    ".launch{position:fixed;bottom:20px;" + (data.position === "left" ? "left" : "right") + ":20px;" +
    "z-index:2147483000;border:0;border-radius:28px;padding:14px 20px;background:var(--a);color:#fff;" +
    "cursor:pointer;box-shadow:0 2px 10px #0004}" +
    ".panel{position:fixed;bottom:84px;" + (data.position === "left" ? "left" : "right") + ":20px;" +
    "z-index:2147483000;width:min(380px,calc(100vw - 40px));height:min(560px,calc(100vh - 110px));" +
    "display:flex;flex-direction:column;background:#fff;color:#111;border-radius:12px;" +
    "box-shadow:0 4px 24px #0005;overflow:hidden}.panel[hidden]{display:none}" +
    "header{display:flex;align-items:center;gap:6px;padding:10px 12px;background:var(--a);color:#fff}" +
    "header h2{flex:1;margin:0;font-weight:600}header button{background:none;border:0;color:#fff;" +
    "cursor:pointer;padding:4px 8px;border-radius:4px}.log{flex:1;overflow-y:auto;padding:12px;" +
    "display:flex;flex-direction:column;gap:8px}.m{max-width:85%;padding:8px 11px;border-radius:10px;" +
    "white-space:pre-wrap;overflow-wrap:anywhere}.you{align-self:flex-end;background:#e8eefc}" +
    ".bot,.agent,.notice{align-self:flex-start;background:#f1f1f1}.agent{border-left:3px solid var(--a)}" +
    ".notice{font-style:italic;color:#333}.wait{opacity:.7}.row{display:flex;flex-wrap:wrap;gap:6px;" +
    "margin-top:6px}.row button,.menu button{border:1px solid #555;background:#fff;color:#111;" +
    "border-radius:14px;padding:4px 10px;cursor:pointer;text-align:left}.small{font-size:13px;" +
    "color:#333;margin-top:6px}form{display:flex;gap:6px;padding:8px;border-top:1px solid #ccc}" +
    "textarea{flex:1;resize:none;border:1px solid #555;border-radius:8px;padding:6px;color:#111}" +
    "form button{border:0;background:var(--a);color:#fff;border-radius:8px;padding:0 14px;" +
    "cursor:pointer}.menu{display:flex;flex-direction:column;gap:4px;padding:8px;border-bottom:1px " +
    "solid #ccc}.menu[hidden]{display:none}:focus-visible{outline:3px solid #111;outline-offset:2px;box-shadow:0 0 0 2px #fff}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = String(text);
    return node;
  }
  function button(text, onClick, label) {
    var b = el("button", null, text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  var host = el("div");
  host.setAttribute("data-supportbot", "");
  var root = host.attachShadow({ mode: "open" });
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.appendChild(el("style", null, CSS));
  }
  host.style.setProperty("--a", accent);
  var launcher = button(data.title || L.title, toggle);
  launcher.className = "launch";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "sb-panel");
  var panel = el("div", "panel");
  panel.id = "sb-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", data.title || L.title);
  var header = el("header");
  var heading = el("h2", null, data.title || L.title);
  var menuButton = button("⋯", function () {
    menu.hidden = !menu.hidden;
    menuButton.setAttribute("aria-expanded", String(!menu.hidden));
    if (!menu.hidden) menu.querySelector("button").focus();
  }, L.menu);
  menuButton.setAttribute("aria-expanded", "false");
  var closeButton = button("✕", close, L.close);
  header.append(heading, menuButton, closeButton);
  var menu = el("div", "menu");
  menu.hidden = true;
  menu.append(
    button(L.human, function () { act({ kind: "human" }); }),
    button(L.bot, function () { act({ kind: "bot" }); }),
    button(L.reset, function () { act({ kind: "reset" }); }),
    button(L.forget, function () { if (window.confirm(L.confirmForget)) act({ kind: "forget" }); })
  );
  var log = el("div", "log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", data.title || L.title);
  log.tabIndex = 0;
  var form = el("form");
  var input = el("textarea");
  input.rows = 2;
  input.maxLength = 2000;
  input.setAttribute("aria-label", L.input);
  input.placeholder = L.input;
  var send = el("button", null, L.send);
  send.type = "submit";
  form.append(input, send);
  panel.append(header, menu, log, form);
  root.append(launcher, panel);

  var token = store.get("token");
  var pending = store.get("pending") || [];
  var shown = {};      // client ids whose bubble is on screen
  var partials = {};   // item -> bubble of an answer being generated
  var finished = {};   // items whose stored answer is shown
  var lastId = 0, source = null, confirmTimer = null;

  function toggle() { if (panel.hidden) open(); else close(); }
  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    input.focus();
    connect();
  }
  function hideMenu(focusTo) {  // a hidden menu must not keep the focus (it would fall out)
    var was = !menu.hidden;
    menu.hidden = true;
    menuButton.setAttribute("aria-expanded", "false");
    if (was && focusTo) focusTo.focus();
  }
  function close() {
    panel.hidden = true;
    hideMenu();
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  root.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || panel.hidden) return;
    if (!menu.hidden) hideMenu(menuButton); else close();
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    ask(text);
  });

  function add(node) {
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }
  function bubble(cls, who, text) {
    var m = el("div", "m " + cls);
    m.appendChild(el("span", "sr", who + ": "));
    m.appendChild(document.createTextNode(text));
    return m;
  }
  function newId() {
    return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/-/g, "");
  }

  function api(path, body) {
    return ensureToken().then(function () {
      return fetch(base + path, {
        method: "POST", mode: "cors", credentials: "omit",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
        body: JSON.stringify(body)
      });
    }).then(function (r) {
      if (r.status === 401) { token = null; store.drop("token"); }
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    });
  }
  var asking = null;  // one token request at a time: two would make two visitors
  function ensureToken() {
    if (token) return Promise.resolve(token);
    if (asking) return asking;
    var who = data.customerId ? { customer_id: data.customerId, signature: data.customerSignature } : {};
    asking = fetch(base + "/api/visitor", {
      method: "POST", mode: "cors", credentials: "omit",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(who)
    }).then(function (r) { return r.json(); }).then(function (d) {
      asking = null;
      if (!d.token) throw new Error(d.error || "no token");
      token = d.token;
      store.set("token", token);
      return token;
    }, function (e) { asking = null; throw e; });
    return asking;
  }

  function ask(text) {
    var item = { id: newId(), kind: "text", text: text, lang: lang };
    pending.push(item);
    store.set("pending", pending);
    showPending(item);
    deliver(item, 0);
  }
  function act(body) {
    hideMenu(input);
    body.id = newId();
    body.lang = lang;
    deliver(body, 0);
  }
  function showPending(item) {
    shown[item.id] = add(bubble("you wait", L.you, item.text));
  }
  function deliver(item, tries) {
    api("/api/messages", item).then(function () {
      if (item.kind === "text" && shown[item.id]) shown[item.id].classList.remove("wait");
      connect();
    }, function () {
      if (item.kind === "text" && shown[item.id]) shown[item.id].title = L.failed;
      setTimeout(function () { deliver(item, tries + 1); }, Math.min(30000, 1000 * Math.pow(2, tries)));
    });
  }

  function connect() {
    if (source || !token) { if (!token) ensureToken().then(connect, function () {}); return; }
    source = new EventSource(base + "/api/events?after=0&token=" + encodeURIComponent(token));
    source.onmessage = function (e) { receive(JSON.parse(e.data)); };
    source.addEventListener("partial", function (e) { partial(JSON.parse(e.data)); });
    source.onerror = function () {
      if (source && source.readyState === EventSource.CLOSED) { source = null; setTimeout(connect, 3000); }
    };
  }
  function partial(d) {
    if (finished[d.item]) return;
    var b = partials[d.item];
    if (!b) { b = partials[d.item] = add(bubble("bot", L.botName, "")); b.setAttribute("aria-busy", "true"); }
    b.lastChild.textContent = d.text;
  }
  function confirmSoon() {
    clearTimeout(confirmTimer);
    confirmTimer = setTimeout(function () { api("/api/confirm", { upto: lastId }).catch(function () {}); }, 500);
  }

  function receive(d) {
    if (d.id <= lastId) return;  // never twice, whatever the network does
    lastId = d.id;
    confirmSoon();
    if (d.cid) {
      pending = pending.filter(function (p) { return p.id !== d.cid; });
      store.set("pending", pending);
    }
    if (d.question && !(d.cid && shown[d.cid])) add(bubble("you", L.you, d.question));
    if (d.cid && shown[d.cid]) shown[d.cid].classList.remove("wait");
    if (d.type === "answer") answer(d);
    else if (d.type === "agent") add(bubble("agent", L.agent, d.text));
    else if (d.type === "notice") notice(d);
  }
  function answer(d) {
    finished[d.item] = true;
    var b = partials[d.item];
    if (b) { b.lastChild.textContent = d.text; b.removeAttribute("aria-busy"); }
    else b = add(bubble("bot", L.botName, d.text));
    delete partials[d.item];
    if (d.more) {
      var more = button(L.more, function () {
        more.remove();  // the focus must not fall out of the panel with it
        b.insertBefore(document.createTextNode("\n\n" + d.more), b.querySelector(".row"));
        input.focus();
      });
      row(b).appendChild(more);
    }
    (d.sources || []).forEach(function (s) {
      if (!/^https?:\/\//.test(s.url || "")) return;  // only web addresses become links
      var link = el("a", null, s.label);
      link.href = s.url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      row(b).appendChild(link);
    });
    if (d.choices && d.choices.length) {
      var picks = el("div", "row");
      d.choices.forEach(function (c) {
        picks.appendChild(button(c.question, function () {
          act({ kind: "choice", question_id: d.question_id, entry_id: c.id, label: c.question });
        }));
      });
      b.appendChild(picks);
    }
    if (d.related && d.related.length) {
      b.appendChild(el("div", "small", L.related));
      var rel = el("div", "row");
      d.related.forEach(function (q) { rel.appendChild(button(q, function () { ask(q); })); });
      b.appendChild(rel);
    }
    if (d.offer_human) row(b).appendChild(button(L.human, function () { act({ kind: "human" }); }));
    if (d.rate && d.message_id) {
      var r = row(b);
      [[1, "👍", L.up], [-1, "👎", L.down]].forEach(function (v) {
        r.appendChild(button(v[1], function () {
          act({ kind: "feedback", message_id: d.message_id, rating: v[0] });
        }, v[2]));
      });
    }
  }
  function row(b) {
    var r = b.querySelector(".row.own");
    if (!r) { r = el("div", "row own"); b.appendChild(r); }
    return r;
  }
  function notice(d) {
    var b = add(bubble("notice", L.botName, d.text));
    if (d.offer_human) row(b).appendChild(button(L.human, function () { act({ kind: "human" }); }));
    if (d.forgotten) {
      if (source) source.close();
      source = null;
      token = null;
      pending = [];
      store.drop("token");
      store.drop("pending");
    }
  }

  document.body.appendChild(host);
  add(bubble("notice", L.botName, L.hello));
  pending.forEach(function (p) { showPending(p); deliver(p, 0); });
  if (token) connect();
})();
