"""The rasa-sdk action server: what the bot does with what it knows.

Run with `python -m rasa_sdk --actions actions`. Action classes live in
`actions.actions` and stay thin; the work is in plain modules:

- `topics`: what a question is about and how a follow-up refers back;
- `outcome`: what kind of reply fits when the knowledge base has no answer;
- `knowledge_client`: the one shared `knowledge.KnowledgeBase` per process;
- `lead_form`: the lead form's validation action and its read-back and industry questions;
- `form_turns`: whether a message typed during the form answers it or interrupts it;
- `lead_fields`: checking what is typed into the lead form;
- `leads`: delivering leads to the gateway, queued so none is lost;
- `language`: whether a tenant writes in Chinese or English;
- `erasure`: removing a refused lead form's answers from a conversation's events;
- (`rasa_ext.tracker_store`, loaded by Rasa, applies `erasure` in the tracker store);
- `session`: when a long conversation moves to a new Rasa session;
- `process`: whether this process serves actions (Sanic's manager does not).

What Rasa sends with each call (rasa_ext/, to keep a turn cheap): the domain once, then a
digest of it (rasa-sdk keeps the domain and hands it to every action, so an action must not
change it); every event of the session, but those before the latest user message without a
user message's `parse_data` and a bot message's `data`. The latest message is whole in
`tracker.latest_message`; an action that needs an earlier message's intent ranking or an
earlier reply's payload must get it some other way (a slot), not from `tracker.events`.
"""
