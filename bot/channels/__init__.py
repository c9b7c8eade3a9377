"""Channel adapters: each turns its native messages into ``Incoming`` and sends back ``Reply``.

The core never imports from here; channels call ``ConversationService`` and format its replies.
``console`` is the terminal chat; ``telegram`` is the Telegram bot.
"""
