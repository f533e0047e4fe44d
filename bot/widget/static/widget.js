/*
 * 杭州生物科技谷 招商助手 — embeddable chat widget.
 *
 *   <script src="https://<gateway>/widget.js" defer></script>
 *
 * Optional attributes on the script tag:
 *   data-api="https://<gateway>"  where /api/chat lives (default: where this file came from)
 *   data-title="…"                 the panel's title
 *   data-open="true"               open the panel on load
 *
 * Everything lives in a shadow root, so the host page's CSS cannot reach it.
 * Every piece of user, bot or staff text is set with textContent, never as
 * HTML, and links are only ever http(s), so a message cannot inject markup.
 */
(function () {
  "use strict";
  if (window.__parkWidgetLoaded) return;
  window.__parkWidgetLoaded = true;

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var api = ((script && script.getAttribute("data-api")) || new URL(script ? script.src : location.href).origin)
    .replace(/\/+$/, "");
  var TITLE = (script && script.getAttribute("data-title")) || "杭州生物科技谷 · 招商助手";
  var KEY = "park-chat-sender";
  var POLL_MS = 3000;

  function newId() {
    if (window.crypto && crypto.randomUUID) return "web-" + crypto.randomUUID();  // secure contexts
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "web-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var sender;
  try {
    sender = localStorage.getItem(KEY);
    if (!sender) { sender = newId(); localStorage.setItem(KEY, sender); }
  } catch (e) { sender = newId(); }  // storage blocked: one id for this page view

  var CSS = [
    ":host { all: initial; }",
    "* { box-sizing: border-box; font-family: system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif; }",
    ".bubble { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 60px; height: 60px;",
    "  display: flex; align-items: center; justify-content: center;",
    "  border-radius: 50%; border: 0; background: #0d6b5e; color: #fff; cursor: pointer;",
    "  box-shadow: 0 6px 18px rgba(0,0,0,.25); }",
    ".bubble:focus-visible, button:focus-visible, input:focus-visible, a:focus-visible { outline: 3px solid #f0b429; outline-offset: 2px; }",
    ".panel { position: fixed; right: 20px; bottom: 92px; z-index: 2147483000; width: 380px;",
    "  height: min(600px, calc(100vh - 120px)); height: min(600px, calc(100dvh - 120px));",
    "  display: flex; flex-direction: column; background: #fff; color: #1d2b28; border-radius: 12px; overflow: hidden;",
    "  box-shadow: 0 10px 32px rgba(0,0,0,.28); font-size: 15px; line-height: 1.55; }",
    ".panel[hidden] { display: none; }",
    "header { display: flex; align-items: center; gap: 8px; padding: 6px 6px 6px 14px; background: #0d6b5e; color: #fff; }",
    "header h2 { flex: 1; margin: 0; font-size: 16px; font-weight: 600; }",
    // 44 px: the smallest target a thumb hits reliably (WCAG 2.5.5, Apple HIG).
    "header button { min-width: 44px; min-height: 44px; background: transparent; border: 0; color: #fff;",
    "  font-size: 24px; line-height: 1; cursor: pointer; padding: 0; border-radius: 8px; }",
    // contain: reaching the end of the log does not go on to scroll the page behind the panel.
    ".log { list-style: none; margin: 0; padding: 12px; flex: 1; min-height: 0; overflow-y: auto;",
    "  overscroll-behavior: contain; background: #f6f8f7; }",
    ".msg { width: fit-content; margin: 8px 0; max-width: min(88%, 640px); padding: 9px 12px; border-radius: 12px; white-space: pre-wrap; word-break: break-word; }",
    ".msg.user { margin-left: auto; background: #0d6b5e; color: #fff; border-bottom-right-radius: 4px; }",
    ".msg.bot { background: #fff; border: 1px solid #e0e7e5; border-bottom-left-radius: 4px; }",
    ".msg.staff { background: #f3ecfb; border: 1px solid #dccbf0; }",
    ".msg.notice { background: #fdecea; color: #8a1c12; }",
    ".who { display: block; font-size: 12px; color: #5b338e; margin-bottom: 2px; }",
    ".sources { margin: 8px 0 0; padding: 6px 0 0; list-style: none; font-size: 12.5px; border-top: 1px dashed #d5dfdc; }",
    ".sources li { margin: 2px 0; white-space: normal; }",
    ".sources a { color: #0d6b5e; }",
    ".buttons { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; white-space: normal; }",
    ".buttons button { border: 1px solid #0d6b5e; background: #fff; color: #0d6b5e; border-radius: 16px; padding: 5px 12px;",
    "  font-size: 14px; cursor: pointer; min-height: 32px; }",
    ".rate { display: flex; gap: 6px; margin-top: 6px; }",
    ".rate button { border: 1px solid #cfd9d6; background: #fff; border-radius: 12px; padding: 2px 10px; cursor: pointer; font-size: 14px; min-height: 28px; }",
    ".rate button[aria-pressed=true] { background: #0d6b5e; color: #fff; border-color: #0d6b5e; }",
    ".typing { display: inline-flex; gap: 4px; align-items: center; }",
    ".typing i { width: 7px; height: 7px; border-radius: 50%; background: #7f918c; animation: blink 1.2s infinite ease-in-out; }",
    ".typing i:nth-child(2) { animation-delay: .2s; } .typing i:nth-child(3) { animation-delay: .4s; }",
    "@keyframes blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }",
    // The home-indicator strip of notched phones stays clear of the send button.
    "form { display: flex; gap: 8px; padding: 8px 10px; padding-bottom: max(8px, env(safe-area-inset-bottom));",
    "  border-top: 1px solid #e0e7e5; background: #fff; }",
    // 16 px text: smaller makes iOS zoom the page when the field takes focus.
    "input { flex: 1; min-width: 0; min-height: 44px; padding: 8px 10px; font-size: 16px; border: 1px solid #b9c8c4; border-radius: 8px; }",
    "form button { min-height: 44px; min-width: 64px; padding: 0 14px; background: #0d6b5e; color: #fff; border: 0;",
    "  border-radius: 8px; font-size: 15px; cursor: pointer; }",
    ".sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }",
    "@media (pointer: coarse), (max-width: 480px) {",
    "  .buttons button, .rate button { min-height: 44px; padding: 0 14px; }",
    "  .rate button { min-width: 64px; }",
    "  .buttons { gap: 8px; }",
    "}",
    // A phone, upright or on its side, or any short window: the panel takes the
    // whole visible area. --vv-top/--vv-height follow the visual viewport (see
    // fitToViewport), so the on-screen keyboard never hides the input; the
    // bubble is hidden while the panel is open, since it would sit on 发送.
    "@media (max-width: 480px), (max-height: 500px) {",
    "  .panel { left: 0; right: 0; bottom: auto; top: var(--vv-top, 0px); width: auto; border-radius: 0;",
    "    height: 100vh; height: 100dvh; height: var(--vv-height, 100dvh); }",
    "  .panel:not([hidden]) ~ .bubble { display: none; }",
    "  .bubble { right: 14px; bottom: 14px; }",
    "}",
    // On its side a phone is about 390 px tall: every pixel of header and margin goes to the log.
    "@media (max-height: 500px) {",
    "  header { padding: 0 4px 0 12px; }",
    "  header h2 { font-size: 15px; }",
    "  .log { padding: 4px 12px; }",
    "  .msg { margin: 6px 0; padding: 7px 11px; }",
    "}",
    "@media (prefers-reduced-motion: reduce) { .typing i { animation: none; opacity: .6; } }"
  ].join("\n");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(url) {
    try {
      var u = new URL(String(url), location.href);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
    } catch (e) { return null; }
  }

  // An SVG icon rather than an emoji: not every device has an emoji font.
  function chatIcon() {
    var NS = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(NS, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 3 " +
      "1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z");
    svg.appendChild(path);
    return svg;
  }

  // --- the DOM --------------------------------------------------------------
  var host = el("div");
  host.id = "park-chat-widget";
  var root = host.attachShadow({ mode: "open" });
  var style = el("style", null, CSS);
  var bubble = el("button", "bubble");
  bubble.type = "button";
  bubble.appendChild(chatIcon());
  bubble.setAttribute("aria-label", "打开招商助手");
  bubble.setAttribute("aria-expanded", "false");
  bubble.setAttribute("aria-controls", "park-chat-panel");

  var panel = el("section", "panel");
  panel.id = "park-chat-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", TITLE);
  var header = el("header");
  var title = el("h2", null, TITLE);
  var close = el("button", "close", "×");
  close.type = "button";
  close.setAttribute("aria-label", "关闭");
  header.appendChild(title);
  header.appendChild(close);

  var log = el("ol", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", "对话");
  var form = el("form");
  var label = el("label", "sr-only", "输入问题");
  label.htmlFor = "park-chat-input";
  var input = el("input");
  input.id = "park-chat-input";
  input.name = "message";
  input.autocomplete = "off";
  input.maxLength = 1000;
  input.placeholder = "请输入您的问题，例如：园区在哪里？";
  input.setAttribute("enterkeyhint", "send");
  var sendButton = el("button", "send", "发送");
  sendButton.type = "submit";
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendButton);

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(form);
  root.appendChild(style);
  root.appendChild(panel);
  root.appendChild(bubble);

  // --- the log stays at its latest message ----------------------------------
  // When the log gets shorter (keyboard up, window on its side) it would keep
  // its scroll offset and the latest message would slip out of sight; unless
  // the person has scrolled up to read, it is kept in view.
  var atBottom = true;
  function scrollDown() { log.scrollTop = log.scrollHeight; atBottom = true; }
  log.addEventListener("scroll", function () {
    atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
  }, { passive: true });
  if (window.ResizeObserver) {
    new ResizeObserver(function () { if (atBottom) scrollDown(); }).observe(log);
  }

  // The visible area, which on phones is smaller than the layout viewport while
  // the on-screen keyboard is up (iOS, and Chrome on Android since 108): the
  // full-screen panel is sized to it so the input sits right above the keyboard.
  function fitToViewport() {
    var vv = window.visualViewport;
    if (!vv) return;
    host.style.setProperty("--vv-height", vv.height + "px");
    host.style.setProperty("--vv-top", vv.offsetTop + "px");
  }
  if (window.visualViewport) {
    visualViewport.addEventListener("resize", fitToViewport);
    visualViewport.addEventListener("scroll", fitToViewport);
  }

  // --- rendering ------------------------------------------------------------

  function addUser(text) {
    log.appendChild(el("li", "msg user", text));
    scrollDown();
  }

  function addNotice(text) {
    var item = el("li", "msg notice", text);
    item.setAttribute("role", "alert");
    log.appendChild(item);
    scrollDown();
  }

  function addStaff(text) {
    var item = el("li", "msg staff");
    item.appendChild(el("span", "who", "招商人员"));
    item.appendChild(document.createTextNode(String(text)));
    log.appendChild(item);
    scrollDown();
  }

  function sourceList(sources) {
    var list = el("ul", "sources");
    sources.forEach(function (s) {
      var li = el("li");
      var label = "来源：" + [s.title, s.publisher, s.published].filter(Boolean).join("，");
      var href = safeUrl(s.url);
      if (href) {
        var a = el("a", null, label);
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        li.appendChild(a);
      } else {
        li.textContent = label;
      }
      list.appendChild(li);
    });
    return list;
  }

  function buttonRow(buttons) {
    var row = el("div", "buttons");
    buttons.forEach(function (b) {
      var button = el("button", null, b.title);
      button.type = "button";
      button.addEventListener("click", function () { send(b.payload || b.title, b.title); });
      row.appendChild(button);
    });
    return row;
  }

  function rateRow(turnId) {
    var row = el("div", "rate");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", "这个回答有帮助吗？");
    [["up", "有帮助"], ["down", "没帮助"]].forEach(function (spec) {
      var button = el("button", "rate-" + spec[0], spec[1]);
      button.type = "button";
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        post("/api/feedback", { sender_id: sender, turn_id: turnId, rating: spec[0] }).then(function () {
          row.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
          button.setAttribute("aria-pressed", "true");
        }).catch(function (err) { addNotice("评价未能提交：" + err.message); });
      });
      row.appendChild(button);
    });
    return row;
  }

  function addReply(reply, turnId, rate) {
    var item = el("li", "msg bot", reply.text || "");
    if (reply.sources && reply.sources.length) item.appendChild(sourceList(reply.sources));
    if (reply.buttons && reply.buttons.length) item.appendChild(buttonRow(reply.buttons));
    if (rate && turnId) item.appendChild(rateRow(turnId));
    log.appendChild(item);
    scrollDown();
  }

  var typing = null;
  function showTyping(on) {
    if (on && !typing) {
      typing = el("li", "msg bot typing-row");
      typing.setAttribute("aria-label", "正在输入");
      var dots = el("span", "typing");
      dots.appendChild(el("i"));
      dots.appendChild(el("i"));
      dots.appendChild(el("i"));
      typing.appendChild(dots);
      log.appendChild(typing);
      scrollDown();
    } else if (!on && typing) {
      typing.remove();
      typing = null;
    }
  }

  // --- talking to the gateway -----------------------------------------------
  function post(path, body) {
    return fetch(api + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(readJson);
  }

  function readJson(r) {
    return r.json().catch(function () { return {}; }).then(function (body) {
      if (!r.ok) throw new Error((body.error && body.error.message) || r.statusText || "network error");
      return body;
    });
  }

  var busy = false;
  function send(message, shown) {
    if (busy) return Promise.resolve();
    busy = true;
    if (shown !== null) addUser(shown || message);
    showTyping(true);
    return post("/api/chat", { sender_id: sender, message: message }).then(function (body) {
      showTyping(false);
      var replies = body.replies || [];
      replies.forEach(function (reply, i) {
        // One rating per turn, under its last reply, and only for real answers.
        var rate = i === replies.length - 1 && shown !== null;
        addReply(reply, body.turn_id, rate);
      });
      setHandoff(!!body.handoff);
    }).catch(function (err) {
      showTyping(false);
      addNotice("抱歉，暂时无法回复：" + err.message);
    }).then(function () {
      busy = false;
    });
  }

  // While staff hold the conversation, their replies arrive by polling.
  var lastStaffId = 0;
  var pollTimer = null;
  function setHandoff(on) {
    if (on && !pollTimer) {
      pollTimer = setInterval(poll, POLL_MS);
    } else if (!on && pollTimer) {
      clearInterval(pollTimer);
      pollTimer = null;
    }
  }

  function poll() {
    return fetch(api + "/api/chat/poll?sender_id=" + encodeURIComponent(sender) + "&after=" + lastStaffId)
      .then(readJson).then(function (body) {
        (body.messages || []).forEach(function (m) {
          lastStaffId = Math.max(lastStaffId, m.id);
          addStaff(m.text);
        });
        setHandoff(!!body.handoff);
      }).catch(function () { /* try again on the next tick */ });
  }

  // --- opening and closing --------------------------------------------------
  var greeted = false;
  function open() {
    panel.hidden = false;
    bubble.setAttribute("aria-expanded", "true");
    bubble.setAttribute("aria-label", "关闭招商助手");
    fitToViewport();
    scrollDown();
    input.focus();
    if (!greeted) {
      greeted = true;
      // A conversation still with staff shows their replies; older ones are skipped.
      fetch(api + "/api/chat/poll?sender_id=" + encodeURIComponent(sender) + "&after=0").then(readJson)
        .then(function (body) {
          (body.messages || []).forEach(function (m) {
            lastStaffId = Math.max(lastStaffId, m.id);
            if (body.handoff) addStaff(m.text);
          });
          setHandoff(!!body.handoff);
        }).catch(function () {});
      send("/greet", null);
    }
  }

  function hide() {
    panel.hidden = true;
    bubble.setAttribute("aria-expanded", "false");
    bubble.setAttribute("aria-label", "打开招商助手");
    bubble.focus();
  }

  bubble.addEventListener("click", function () { panel.hidden ? open() : hide(); });
  close.addEventListener("click", hide);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); hide(); }
  });
  // Tapping 发送 keeps the focus (and the phone's keyboard) in the input.
  sendButton.addEventListener("mousedown", function (event) { event.preventDefault(); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    send(text);
  });

  function mount() {
    document.body.appendChild(host);
    if (script && script.getAttribute("data-open") === "true") open();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  window.ParkChat = { open: open, close: hide, send: function (text) { open(); return send(text); } };
}());
