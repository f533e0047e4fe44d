  /* The text field: the character counter near the limit, and sending what was typed. */

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
