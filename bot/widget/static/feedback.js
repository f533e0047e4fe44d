  /* Thumbs up/down under a cited answer: POST /api/chat/feedback, proven by the conversation's cookie (the
     gateway's own site) or bearer token (embedded elsewhere), see transport.js. */

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
