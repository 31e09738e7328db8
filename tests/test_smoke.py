"""The app starts, serves its pages and signs a user in."""

from casemgr.auth.roles import Role


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_each_role_signs_in(client, make):
    for role in Role:
        user = make.user(role)
        response = client.login(user)
        assert response.status_code == 302, role
        assert response.headers["Location"].endswith("/dashboard")
        assert client.get("/dashboard").status_code == 200
        client.post_form("/auth/logout")
