  /*
   * 杭州生物科技谷 招商助手 — embeddable chat widget.
   *
   *   <script src="https://<gateway>/widget.js" defer></script>
   *
   * Optional attributes on the script tag:
   *   data-api="https://<gateway>"  where /api/chat lives (default: where this file came from)
   *   data-title="…"                 the panel's title
   *   data-open="true"               open the panel on load
   *   data-lang="en"                 the widget's language (default: the page's <html lang>, else Chinese)
   *   data-max-chars="1000"          the gateway's MAX_MESSAGE_CHARS, if it was changed
   *   data-slow-ms / data-timeout-ms when to say "still working" and when to give up on a reply
   *                                  (defaults 5 s and 25 s: the gateway itself answers within
   *                                  RASA_TIMEOUT_S, 10 s, from the knowledge base when Rasa is slow)
   *
   * Everything lives in a shadow root, so the host page's CSS cannot reach it.
   * Every piece of user, bot or staff text is set with textContent, never as
   * HTML, and links are only ever http(s), so a message cannot inject markup.
   *
   * Nothing typed is lost: messages wait in a queue and go out one at a time,
   * in order; one that fails stays at the head of the queue, marked unsent,
   * with a retry button, and the ones behind it wait for it. Each message has
   * its own id (client_message_id), kept for its retries: if the gateway did
   * answer but the answer was lost on the way, the retry gets that answer back
   * instead of asking the bot a second time.
   *
   * The conversation belongs to its token (bot/chat_tokens.py): on the
   * gateway's own site an HttpOnly cookie the browser keeps; embedded on
   * another site, a bearer token kept in localStorage. With it the widget
   * restores the conversation after a reload or on another page of the site
   * (GET /api/chat/history), staff replies included; no id is ever in a URL.
   *
   * The source is split by subject into the files of bot/widget/static/ and served as this one
   * script (bot/widget/__init__.py, in PARTS order, in one function scope), so the one-line embed
   * above stays all a host page needs. This part: the script tag's settings and the constants.
   */
  if (window.__parkWidgetLoaded) return;
  window.__parkWidgetLoaded = true;

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  function attr(name) { return script ? script.getAttribute(name) : null; }
  var api = (attr("data-api") || new URL(script ? script.src : location.href).origin).replace(/\/+$/, "");
  var KEY = "park-chat-sender";
  var TOKEN_KEY = "park-chat-token";
  var OPEN_KEY = "park-chat-open";  // sessionStorage: the panel stays open from page to page
  // Embedded on another site, cookies do not reach the gateway (third-party cookies are blocked):
  // the conversation's bearer token goes in a header instead.
  var crossOrigin = new URL(api, location.href).origin !== location.origin;
  var POLL_MS = 3000;
  // What the gateway accepts (its MAX_MESSAGE_CHARS); the counter shows from 90 % of it on.
  var MAX_CHARS = Number(attr("data-max-chars")) || 1000;
  var NEAR_LIMIT = Math.floor(MAX_CHARS * 0.9);
  var SLOW_MS = Number(attr("data-slow-ms")) || 5000;
  var TIMEOUT_MS = Number(attr("data-timeout-ms")) || 25000;
