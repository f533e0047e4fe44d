  /* Requests to the gateway, with the conversation's bearer token when there is one, and every way one can
     fail named as a kind the person is told about in their words. */

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
