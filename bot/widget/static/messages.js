  /* Rendering: the person's, the bot's (with sources and buttons) and staff messages, notices, typing dots.
     Every text is set with textContent, never as HTML; links are only ever http(s). */

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

  // A source without a snippet is a document offered to read when the bot has no answer, not the
  // citation of a fact (turn_contract.is_pointer): it is labelled apart, and nothing under it is rated.
  function isPointer(s) { return !(s.snippet || "").trim(); }
  function cites(reply) { return (reply.sources || []).some(function (s) { return !isPointer(s); }); }

  function sourceList(sources) {
    var list = el("ul", "sources");
    sources.forEach(function (s) {
      var li = el("li");
      // A source page that shows no date says so, rather than looking like a slip.
      var text = t(isPointer(s) ? "related" : "source") +
        [s.title, s.publisher, s.published || t("noDate")].filter(Boolean).join(t("sep"));
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
