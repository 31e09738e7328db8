"""WSGI entry point: gunicorn wsgi:app, flask --app wsgi ..."""

from casemgr import create_app
from casemgr.cli import refusal_to_start_in_one_line

with refusal_to_start_in_one_line():  # the flask command says why in one line, not a traceback
    app = create_app()
