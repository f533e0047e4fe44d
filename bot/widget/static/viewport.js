  /* The log keeps its latest message in view, and the panel fits the visible area above a phone's keyboard. */

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
