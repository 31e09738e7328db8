"""Personal access tokens: the API's credentials, made and revoked by their owners."""
