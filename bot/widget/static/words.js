  /* Every label and message the widget writes, in Chinese and English, and the conversation's language. */

  // --- words ------------------------------------------------------------------
  // Every label and failure message the widget itself writes, by language. The
  // bot's own replies come from the server in whatever language it answers in.
  var STRINGS = {
    zh: {
      title: "杭州生物科技谷 · 招商助手", open: "打开招商助手", closePanel: "关闭招商助手", close: "关闭",
      log: "对话", inputLabel: "输入问题", placeholder: "请输入您的问题，例如：园区在哪里？", send: "发送",
      typing: "正在输入", slow: "仍在处理，请稍候…", staff: "招商人员", source: "来源：", related: "相关文件：", sep: "，", noDate: "日期不详",
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
      slow: "Still working on it, please wait…", staff: "Investment staff", source: "Source: ", related: "Related document: ", sep: ", ",
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
