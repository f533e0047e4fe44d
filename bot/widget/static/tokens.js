  /* Which conversation this is: its id and, embedded on another site, its bearer token (bot/chat_tokens.py). */

  function newId() {
    if (window.crypto && crypto.randomUUID) return "web-" + crypto.randomUUID();  // secure contexts
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "web-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function stored(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }
  function store(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* blocked: this page only */ } }

  // A stored id means a conversation may be waiting to be restored.
  var sender = stored(KEY);
  var returning = !!sender;
  if (!sender) { sender = newId(); store(KEY, sender); }
  var token = crossOrigin ? stored(TOKEN_KEY) : null;

  // The gateway says which conversation this is: a new one's token, or a new id when ours was not ours.
  function adopt(body) {
    if (body.sender_id && body.sender_id !== sender) { sender = body.sender_id; store(KEY, sender); }
    if (body.token && crossOrigin) { token = body.token; store(TOKEN_KEY, token); }
  }
