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
 */
(function () {
  "use strict";
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

  // --- words ------------------------------------------------------------------
  // Every label and failure message the widget itself writes, by language. The
  // bot's own replies come from the server in whatever language it answers in.
  var STRINGS = {
    zh: {
      title: "杭州生物科技谷 · 招商助手", open: "打开招商助手", closePanel: "关闭招商助手", close: "关闭",
      log: "对话", inputLabel: "输入问题", placeholder: "请输入您的问题，例如：园区在哪里？", send: "发送",
      typing: "正在输入", slow: "仍在处理，请稍候…", staff: "招商人员", source: "来源：", sep: "，", noDate: "日期不详",
      rateGroup: "这个回答有帮助吗？", up: "有帮助", down: "没帮助", rateFailed: "评价未能提交，请稍后再试。",
      unsent: "未发送", retry: "重试",
      offline: "网络已断开，这条消息还没有发出。联网后点“重试”。",
      online: "网络已恢复，点“重试”发送这条消息。",
      network: "连不上服务器，这条消息还没有发出。请稍后点“重试”。",
      timeout: "等了很久还没有收到回复。请点“重试”再发一次。",
      server: "服务暂时出了问题，这条消息没有得到回复。请稍后点“重试”。",
      tooMany: "发送得太频繁了，请稍等片刻再点“重试”。",
      rejected: "这条消息无法发送，请修改后再发。",
      count: "{n}/{max}", tooLong: "{n}/{max}：超出 {over} 字，请删减后再发送。",
      privacy: "隐私提示：您发送的消息会被保存，用于回答问题和跟进招商咨询，保存期满后自动删除。留下姓名、电话等联系方式前，我们会先征得您的同意。如需查阅或删除您的信息，请告诉我们。"
    },
    en: {
      title: "Hangzhou Biotech Valley · Investment assistant", open: "Open the investment assistant",
      closePanel: "Close the investment assistant", close: "Close", log: "Conversation", inputLabel: "Your question",
      placeholder: "Ask a question, e.g. Where is the park?", send: "Send", typing: "Typing",
      slow: "Still working on it, please wait…", staff: "Investment staff", source: "Source: ", sep: ", ",
      noDate: "date unknown",
      rateGroup: "Was this answer helpful?", up: "Helpful", down: "Not helpful",
      rateFailed: "Your rating could not be sent. Please try again later.",
      unsent: "Not sent", retry: "Retry",
      offline: "You are offline, so this message has not been sent. Tap Retry once you are back online.",
      online: "You are back online. Tap Retry to send this message.",
      network: "The server cannot be reached, so this message has not been sent. Tap Retry in a moment.",
      timeout: "No reply has come for a long time. Tap Retry to send it again.",
      server: "Something went wrong on our side and this message got no reply. Tap Retry in a moment.",
      tooMany: "Too many messages in a short time. Wait a moment, then tap Retry.",
      rejected: "This message cannot be sent. Please change it and send again.",
      count: "{n}/{max}", tooLong: "{n}/{max}: {over} characters over the limit. Please shorten it before sending.",
      privacy: "Privacy notice: the messages you send are stored to answer your questions and follow up on your enquiry, and are deleted automatically when the retention period ends. We ask for your consent before keeping your name, phone number or other contact details. Ask us if you want to see or delete your data."
    }
  };

  function pageLanguage() {
    var lang = (attr("data-lang") || document.documentElement.lang || "").toLowerCase();
    return lang.indexOf("en") === 0 ? "en" : "zh";
  }
  var lang = pageLanguage();

  // The conversation's language follows what the person types: any Chinese
  // character means Chinese; two Latin words and no Chinese mean English. A
  // lone word (GMP, CXO, hello) or a phone number changes nothing.
  function languageOf(text) {
    if (/[\u3400-\u9fff]/.test(text)) return "zh";
    if (/[A-Za-z]{2,}[^A-Za-z]+[A-Za-z]{2,}/.test(text)) return "en";
    return null;
  }

  function t(key, values) {
    var text = (STRINGS[lang] || STRINGS.zh)[key];
    return text.replace(/\{(\w+)\}/g, function (_, name) { return String(values[name]); });
  }

  // Code points, as the gateway counts them (Python's len), not UTF-16 units.
  function charCount(text) { return Array.from(text).length; }

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

  // --- looks ----------------------------------------------------------------
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
    // The privacy notice (bot/privacy.py) sits above the conversation, there before anything is sent.
    ".privacy { margin: 0; padding: 6px 12px; font-size: 12px; line-height: 1.45; color: #44514e; background: #eef3f1;",
    "  border-bottom: 1px solid #dfe7e4; max-height: 30%; overflow-y: auto; flex: none; }",
    ".log { list-style: none; margin: 0; padding: 12px; flex: 1; min-height: 0; overflow-y: auto;",
    "  overscroll-behavior: contain; background: #f6f8f7; }",
    ".msg { width: fit-content; margin: 8px 0; max-width: min(88%, 640px); padding: 9px 12px; border-radius: 12px; white-space: pre-wrap; word-break: break-word; }",
    ".msg.user { margin-left: auto; background: #0d6b5e; color: #fff; border-bottom-right-radius: 4px; }",
    ".msg.user.waiting { opacity: .7; }",
    ".msg.user.unsent { background: #fff; color: #0d6b5e; border: 1px dashed #0d6b5e; }",
    ".msg.user .state { display: block; font-size: 12px; margin-top: 2px; color: #8a1c12; }",
    ".msg.bot { background: #fff; border: 1px solid #e0e7e5; border-bottom-left-radius: 4px; }",
    ".msg.staff { background: #f3ecfb; border: 1px solid #dccbf0; }",
    ".msg.notice { background: #fdecea; color: #8a1c12; }",
    ".notice .retry { display: block; margin-top: 8px; min-height: 44px; padding: 0 18px; border: 1px solid #8a1c12;",
    "  border-radius: 8px; background: #fff; color: #8a1c12; font-size: 15px; cursor: pointer; }",
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
    ".typing-row .slow { display: block; margin-top: 4px; font-size: 13px; color: #55635f; }",
    "@keyframes blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }",
    ".counter { padding: 4px 12px 0; font-size: 13px; color: #55635f; text-align: right; background: #fff; border-top: 1px solid #e0e7e5; }",
    ".counter[hidden] { display: none; }",
    ".counter.over { color: #8a1c12; font-weight: 600; text-align: left; }",
    ".counter:not([hidden]) + form { border-top: 0; }",
    // The home-indicator strip of notched phones stays clear of the send button.
    "form { display: flex; gap: 8px; padding: 8px 10px; padding-bottom: max(8px, env(safe-area-inset-bottom));",
    "  border-top: 1px solid #e0e7e5; background: #fff; }",
    // 16 px text: smaller makes iOS zoom the page when the field takes focus.
    "input { flex: 1; min-width: 0; min-height: 44px; padding: 8px 10px; font-size: 16px; border: 1px solid #b9c8c4; border-radius: 8px; }",
    "input[aria-invalid=true] { border-color: #8a1c12; }",
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
  bubble.setAttribute("aria-expanded", "false");
  bubble.setAttribute("aria-controls", "park-chat-panel");

  var panel = el("section", "panel");
  panel.id = "park-chat-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  var header = el("header");
  var title = el("h2");
  var close = el("button", "close", "×");
  close.type = "button";
  header.appendChild(title);
  header.appendChild(close);

  var privacy = el("p", "privacy");
  var log = el("ol", "log");
  log.setAttribute("aria-live", "polite");
  // Near or over the limit: how many characters, said before sending rather than cut silently.
  var counter = el("div", "counter");
  counter.id = "park-chat-counter";
  counter.hidden = true;
  counter.setAttribute("aria-live", "polite");
  var form = el("form");
  var label = el("label", "sr-only");
  label.htmlFor = "park-chat-input";
  var input = el("input");
  input.id = "park-chat-input";
  input.name = "message";
  input.autocomplete = "off";
  input.setAttribute("enterkeyhint", "send");
  input.setAttribute("aria-describedby", "park-chat-counter");
  var sendButton = el("button", "send");
  sendButton.type = "submit";
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendButton);

  panel.appendChild(header);
  panel.appendChild(privacy);
  panel.appendChild(log);
  panel.appendChild(counter);
  panel.appendChild(form);
  root.appendChild(style);
  root.appendChild(panel);
  root.appendChild(bubble);

  // The widget's own labels, in the conversation's language.
  function relabel() {
    var name = attr("data-title") || t("title");
    bubble.setAttribute("aria-label", panel.hidden ? t("open") : t("closePanel"));
    panel.setAttribute("aria-label", name);
    title.textContent = name;
    privacy.textContent = t("privacy");
    close.setAttribute("aria-label", t("close"));
    log.setAttribute("aria-label", t("log"));
    label.textContent = t("inputLabel");
    input.placeholder = t("placeholder");
    sendButton.textContent = t("send");
    updateCounter();
  }

  function useLanguage(next) {
    if (next && next !== lang) { lang = next; relabel(); }
  }

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
  function append(item) {
    // New lines go above the typing dots, which stay last while a reply is pending.
    if (typing && typing.parentNode === log) log.insertBefore(item, typing); else log.appendChild(item);
    scrollDown();
    return item;
  }

  function addUser(text) { return append(el("li", "msg user", text)); }

  function addNotice(text) {
    var item = el("li", "msg notice");
    item.setAttribute("role", "alert");
    item.appendChild(el("span", "notice-text", text));
    return append(item);
  }

  function staffItem(text) {
    var item = el("li", "msg staff");
    item.appendChild(el("span", "who", t("staff")));
    item.appendChild(document.createTextNode(String(text)));
    return item;
  }

  function addStaff(text) { append(staffItem(text)); }

  function sourceList(sources) {
    var list = el("ul", "sources");
    sources.forEach(function (s) {
      var li = el("li");
      // A source page that shows no date says so, rather than looking like a slip.
      var text = t("source") + [s.title, s.publisher, s.published || t("noDate")].filter(Boolean).join(t("sep"));
      var href = safeUrl(s.url);
      if (href) {
        var a = el("a", null, text);
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        li.appendChild(a);
      } else {
        li.textContent = text;
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
      button.addEventListener("click", function () { enqueue(b.payload || b.title, b.title); });
      row.appendChild(button);
    });
    return row;
  }

  function rateRow(turnId) {
    var row = el("div", "rate");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", t("rateGroup"));
    [["up", "up"], ["down", "down"]].forEach(function (spec) {
      var button = el("button", "rate-" + spec[0], t(spec[1]));
      button.type = "button";
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        // Under /api/chat, where the conversation's cookie reaches (or the bearer token, embedded elsewhere).
        post("/api/chat/feedback", { sender_id: sender, turn_id: turnId, rating: spec[0] }).then(function () {
          row.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
          button.setAttribute("aria-pressed", "true");
        }).catch(function () { addNotice(t("rateFailed")); });
      });
      row.appendChild(button);
    });
    return row;
  }

  function replyItem(reply, turnId, rate) {
    var item = el("li", "msg bot", reply.text || "");
    if (reply.sources && reply.sources.length) item.appendChild(sourceList(reply.sources));
    if (reply.buttons && reply.buttons.length) item.appendChild(buttonRow(reply.buttons));
    if (rate && turnId) item.appendChild(rateRow(turnId));
    return item;
  }

  function addReply(reply, turnId, rate) { append(replyItem(reply, turnId, rate)); }

  var typing = null;
  function showTyping(on) {
    if (on && !typing) {
      typing = el("li", "msg bot typing-row");
      typing.setAttribute("aria-label", t("typing"));
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

  function showSlow() {
    if (typing && !typing.querySelector(".slow")) {
      typing.appendChild(el("span", "slow", t("slow")));
      scrollDown();
    }
  }

  // --- talking to the gateway -----------------------------------------------
  // Every way a request can fail, as the kind of failure: the person is told
  // what happened in their words (STRINGS), never the browser's "Failed to fetch".
  function Failure(kind) { this.kind = kind; }

  function request(path, init, timeoutMs) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && timeoutMs ? setTimeout(function () { controller.abort(); }, timeoutMs) : null;
    if (controller) init.signal = controller.signal;
    return fetch(api + path, init).then(readJson).catch(function (err) {
      if (err instanceof Failure) throw err;
      if (controller && controller.signal.aborted) throw new Failure("timeout");
      throw new Failure(navigator.onLine === false ? "offline" : "network");
    }).finally(function () { if (timer) clearTimeout(timer); });
  }

  function readJson(r) {
    return r.text().then(function (text) {
      var body = null;
      try { body = JSON.parse(text); } catch (e) { /* a proxy's HTML error page */ }
      if (!r.ok) {
        if (r.status === 429) throw new Failure("tooMany");
        // 409: the first try of this message is still being answered; a retry will get that answer.
        if (r.status === 504 || r.status === 408 || r.status === 409) throw new Failure("timeout");
        throw new Failure(r.status >= 500 ? "server" : "rejected");
      }
      if (!body || typeof body !== "object") throw new Failure("server");
      return body;
    });
  }

  function headers(extra) {
    if (token) extra.Authorization = "Bearer " + token;
    return extra;
  }

  function post(path, body, timeoutMs) {
    return request(path, { method: "POST", headers: headers({ "Content-Type": "application/json" }),
                           body: JSON.stringify(body) }, timeoutMs);
  }

  function get(path) { return request(path, { method: "GET", headers: headers({}) }, TIMEOUT_MS); }

  // --- the queue: in order, one at a time, nothing lost ------------------------
  // Each entry is {id, message, shown, item}: its client message id, what goes
  // to the gateway, what the person saw (null for the hidden /greet) and their
  // bubble. The head is in flight, or it failed and waits for its retry with
  // everything behind it. Nothing goes out while the history is being restored,
  // so a message typed meanwhile still comes after it.
  var queue = [];
  var inFlight = false;
  var restoring = false;
  var failure = null;  // the notice under a failed head, while it waits for a retry

  function entryFor(message, shown) { return { id: newId().slice(4), message: message, shown: shown, item: null }; }

  function enqueue(message, shown) {
    var entry = entryFor(message, shown);
    if (shown !== null) {
      entry.item = addUser(shown);
      if (queue.length) entry.item.classList.add("waiting");
    }
    queue.push(entry);
    pump();
  }

  function setUnsent(entry, unsent) {
    if (!entry.item) return;
    entry.item.classList.toggle("unsent", unsent);
    var state = entry.item.querySelector(".state");
    if (unsent && !state) entry.item.appendChild(el("span", "state", t("unsent")));
    if (!unsent && state) state.remove();
  }

  function pump() {
    if (inFlight || failure || restoring || !queue.length) return;
    var entry = queue[0];
    inFlight = true;
    if (entry.item) entry.item.classList.remove("waiting");
    setUnsent(entry, false);
    showTyping(true);
    var slow = setTimeout(showSlow, SLOW_MS);
    var done = function () { clearTimeout(slow); showTyping(false); inFlight = false; };
    var payload = { sender_id: sender, message: entry.message, client_message_id: entry.id };
    post("/api/chat", payload, TIMEOUT_MS).then(function (body) {
      done();
      queue.shift();
      adopt(body);
      render(body, entry);
    }, function (err) {
      done();
      failed(entry, err.kind || "network");
    }).then(pump);
  }

  function render(body, entry) {
    var replies = body.replies || [];
    // One rating per turn, under its last cited answer: form prompts, scope
    // messages and "not found" carry no sources, and there is nothing to rate.
    var rated = -1;
    if (entry.shown !== null) {
      replies.forEach(function (reply, i) { if (reply.sources && reply.sources.length) rated = i; });
    }
    replies.forEach(function (reply, i) { addReply(reply, body.turn_id, i === rated); });
    setHandoff(!!body.handoff);
  }

  function failed(entry, kind) {
    if (kind === "rejected") {
      // The gateway refused this message itself (empty, too long): sending it
      // again cannot help, so it goes back into the input to be changed.
      queue.shift();
      setUnsent(entry, true);
      if (entry.shown !== null && !input.value) { input.value = entry.message; updateCounter(); }
      addNotice(t("rejected"));
      return;
    }
    setUnsent(entry, true);
    var notice = addNotice(t(kind));
    notice.setAttribute("data-kind", kind);
    var retry = el("button", "retry", t("retry"));
    retry.type = "button";
    retry.addEventListener("click", function () {
      notice.remove();
      failure = null;
      input.focus();
      pump();
    });
    notice.appendChild(retry);
    scrollDown();  // the button made the notice taller: keep it in view
    failure = notice;
  }

  // Back online: the notice says the kept message can go now (sent only on the
  // person's tap, so nothing is sent twice behind their back).
  window.addEventListener("online", function () {
    if (failure && failure.getAttribute("data-kind") === "offline") {
      failure.querySelector(".notice-text").textContent = t("online");
    }
  });

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
    return get("/api/chat/poll?after=" + lastStaffId)
      .then(function (body) {
        (body.messages || []).forEach(function (m) {
          lastStaffId = Math.max(lastStaffId, m.id);
          addStaff(m.text);
        });
        setHandoff(!!body.handoff);
      }).catch(function () { /* try again on the next tick */ });
  }

  // --- the input --------------------------------------------------------------
  function updateCounter() {
    var n = charCount(input.value.trim());
    var over = n - MAX_CHARS;
    counter.hidden = n < NEAR_LIMIT;
    counter.classList.toggle("over", over > 0);
    counter.textContent = t(over > 0 ? "tooLong" : "count", { n: n, max: MAX_CHARS, over: over });
    input.setAttribute("aria-invalid", over > 0 ? "true" : "false");
  }

  input.addEventListener("input", updateCounter);
  // Tapping 发送 keeps the focus (and the phone's keyboard) in the input.
  sendButton.addEventListener("mousedown", function (event) { event.preventDefault(); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    if (charCount(text) > MAX_CHARS) {  // kept as typed, with the counter saying why
      updateCounter();
      input.focus();
      return;
    }
    useLanguage(languageOf(text));
    input.value = "";
    updateCounter();
    enqueue(text, text);
  });

  // --- opening and closing --------------------------------------------------
  // The conversation so far, above anything typed while it loaded, in the order it happened. Nothing to
  // restore (a first visit, an expired token, the gateway unreachable): the greeting starts a new one.
  function restore() {
    if (!returning || (crossOrigin && !token)) { queue.unshift(entryFor("/greet", null)); pump(); return; }
    restoring = true;
    var anchor = log.firstChild;
    get("/api/chat/history").then(function (body) {
      var messages = body.messages || [];
      var rated = {};  // as when first shown: one rating per turn, under its last cited answer
      messages.forEach(function (m, i) { if (m.role === "bot" && m.sources && m.sources.length) rated[m.turn_id] = i; });
      messages.forEach(function (m, i) {
        if (m.role === "user") useLanguage(languageOf(m.text));  // the labels follow the conversation
        var item = m.role === "user" ? el("li", "msg user", m.text) : m.role === "staff" ? staffItem(m.text)
          : replyItem(m, m.turn_id, rated[m.turn_id] === i);
        log.insertBefore(item, anchor);
      });
      lastStaffId = Math.max(lastStaffId, body.last_staff_id || 0);
      setHandoff(!!body.handoff);
      if (!messages.length) queue.unshift(entryFor("/greet", null));
    }).catch(function () {
      queue.unshift(entryFor("/greet", null));
    }).then(function () {
      restoring = false;
      scrollDown();
      pump();
    });
  }

  var greeted = false;
  function open() {
    panel.hidden = false;
    try { sessionStorage.setItem(OPEN_KEY, "1"); } catch (e) { /* blocked: closed on the next page */ }
    bubble.setAttribute("aria-expanded", "true");
    bubble.setAttribute("aria-label", t("closePanel"));
    fitToViewport();
    scrollDown();
    input.focus();
    if (!greeted) {
      greeted = true;
      restore();
    }
  }

  function hide() {
    panel.hidden = true;
    try { sessionStorage.removeItem(OPEN_KEY); } catch (e) { /* nothing to forget */ }
    bubble.setAttribute("aria-expanded", "false");
    bubble.setAttribute("aria-label", t("open"));
    bubble.focus();
  }

  bubble.addEventListener("click", function () { panel.hidden ? open() : hide(); });
  close.addEventListener("click", hide);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); hide(); }
  });

  relabel();

  function mount() {
    document.body.appendChild(host);
    var wasOpen = false;
    try { wasOpen = sessionStorage.getItem(OPEN_KEY) === "1"; } catch (e) { /* blocked */ }
    if (attr("data-open") === "true" || wasOpen) open();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  window.ParkChat = {
    open: open, close: hide,
    send: function (text) { open(); useLanguage(languageOf(text)); enqueue(text, text); }
  };
}());
