"""Code that Rasa itself loads (endpoints.yml), kept out of `actions`.

The action server imports every module of the `actions` package and has no
Rasa installed, so what runs inside Rasa lives here, in Rasa's venv.
"""
