"""Custom Rasa NLU components. Rasa imports them by name from config.yml, so
they run in the Rasa virtualenv (.venv-rasa, Python 3.10), not the app's."""
