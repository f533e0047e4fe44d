  /* While staff hold the conversation (a handoff), their replies arrive by polling /api/chat/poll. */

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
          // What the gateway said in staff's place (a timeout, the hand-back) reads as the assistant's.
          if (m.by === "system") addReply({ text: m.text }); else addStaff(m.text);
        });
        setHandoff(!!body.handoff);
      }).catch(function () { /* try again on the next tick */ });
  }
