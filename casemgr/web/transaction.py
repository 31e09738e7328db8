"""One transaction per request, committed at the edge; a failed commit fails the request."""

from __future__ import annotations

from flask import Flask, Response

from casemgr.extensions import db


def commit_request(response: Response) -> Response:
    """Commit what the request flushed (data and its audit events) unless it failed."""
    if response.status_code >= 500:
        db.session.rollback()
    else:
        # If this raises (an audit write that cannot be kept, say), Flask turns it into a 500 and
        # the prepared response, with whatever data it carried, is never sent.
        db.session.commit()
    return response


def init_app(app: Flask) -> None:
    """Install the edge commit."""
    app.after_request(commit_request)
