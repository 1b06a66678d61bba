import pytest

pytestmark = pytest.mark.django_db


def test_chinese_even_for_an_english_browser_until_the_user_switches(client):
    r = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert r.headers["Content-Language"] == "zh-hans"
    assert "用户登录" in r.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    r = client.get("/login/")
    assert r.headers["Content-Language"] == "en"
