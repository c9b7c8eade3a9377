// supportbot console: the live answer preview on the FAQ form and the live hand-off transcript.
// Plain DOM, no library; every request carries the page's CSRF token.
"use strict";

(function () {
  const token = document.querySelector('meta[name="csrf-token"]')?.content || "";

  function debounce(fn, ms) {
    let timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  // --- FAQ form: "what the bot would answer", now and after the unsaved change -------------
  const form = document.getElementById("entry-form");
  const button = document.getElementById("preview-button");
  const result = document.getElementById("preview-result");
  if (form && button && result) {
    let pending = 0;
    const preview = async function () {
      const ticket = ++pending;
      const body = new FormData(form);
      const response = await fetch(button.dataset.url, {
        method: "POST", body: body, headers: { "X-CSRF-Token": token }, credentials: "same-origin",
      });
      const html = await response.text();
      if (ticket === pending) { result.innerHTML = html; result.dataset.loaded = String(ticket); }
    };
    button.addEventListener("click", preview);
    const later = debounce(preview, 400);
    form.addEventListener("input", later);
    document.getElementById("try")?.addEventListener("input", later);
    document.getElementById("try")?.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); preview(); }
    });
  }

  // --- Hand-off page: new customer messages appear without reloading ----------------------
  const live = document.getElementById("live");
  if (live) {
    const poll = async function () {
      const lines = live.querySelectorAll(".line");
      const last = lines.length ? lines[lines.length - 1].dataset.id : "0";
      const response = await fetch(live.dataset.url + "?after=" + last, { credentials: "same-origin" });
      if (response.ok) {
        const html = (await response.text()).trim();
        if (html) { live.insertAdjacentHTML("beforeend", html); live.scrollTop = live.scrollHeight; }
      }
    };
    live.scrollTop = live.scrollHeight;
    setInterval(function () { poll().catch(function () {}); }, 3000);
  }
})();
