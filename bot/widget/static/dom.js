  /* The bubble and the panel: element helpers, the DOM, and its labels in the conversation's language. */

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
  // Once the person has written, the notice they read before writing folds to one line that a tap
  // unfolds: on a phone its five or six lines would otherwise take a fifth of the screen for the whole
  // conversation. It folds once; unfolded by hand, it stays open.
  var folded = false;
  function foldNotice() {
    if (folded) return;
    folded = true;
    privacy.classList.add("brief");
    privacy.tabIndex = 0;
    privacy.setAttribute("role", "button");
    privacy.setAttribute("aria-expanded", "false");
  }
  function toggleNotice() {
    if (!folded) return;
    var open = privacy.classList.toggle("brief") === false;
    privacy.setAttribute("aria-expanded", open ? "true" : "false");
  }
  privacy.addEventListener("click", toggleNotice);
  privacy.addEventListener("keydown", function (e) {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggleNotice(); }
  });
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
  // The look as a stylesheet built by script where the browser can: a host page's CSP governs <style>
  // elements (they need style-src 'unsafe-inline') but not constructed stylesheets, so a park site with
  // a strict policy still shows the widget as designed. Older browsers get the <style> element.
  if ("adoptedStyleSheets" in root && window.CSSStyleSheet && "replaceSync" in CSSStyleSheet.prototype) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el("style", null, CSS));
  }
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
