"""The privacy notice tenants see before anything they send is stored (PIPL art. 17).

One text, said the same everywhere: the widget carries it (STRINGS.privacy in
bot/widget/static/words.js, shown above the conversation from the moment the
panel opens), WeChat sends it with the welcome on subscribe and with the first
reply to anyone it has no record of (bot/wechat/budget.py), and README.md
("Privacy notice") quotes it. tests/test_privacy_notice.py holds all of them to
these words, so none can drift from what the service does.
"""

from __future__ import annotations

NOTICE = {
    "zh": "隐私提示：您发送的消息会被保存，用于回答问题和跟进招商咨询，保存期满后自动删除。"
    "留下姓名、电话等联系方式前，我们会先征得您的同意。如需查阅或删除您的信息，请告诉我们。",
    "en": "Privacy notice: the messages you send are stored to answer your questions and follow up on your "
    "enquiry, and are deleted automatically when the retention period ends. We ask for your consent "
    "before keeping your name, phone number or other contact details. Ask us if you want to see or "
    "delete your data.",
}


def wechat_notice() -> str:
    """Both languages: a WeChat conversation has no page language to pick one by."""
    return NOTICE["zh"] + "\n" + NOTICE["en"]
