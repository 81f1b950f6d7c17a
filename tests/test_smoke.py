"""The first things a newcomer does: the server answers, sign-up works end to end."""


def test_health_check_answers_ok(browser):
    # when a load balancer asks whether the server is alive
    response = browser.get("/healthz")
    # then it is told so
    assert response.json() == {"status": "ok"}


def test_sign_up_confirm_and_see_empty_points(browser, mailbox):
    # given a visitor who signs up
    response = browser.submit("/signup", {
        "company_name": "ИП Иванов", "name": "Иван", "phone": "8 (900) 123-45-67",
        "email": "Ivan@Shop.ru", "password": "long enough pw",
    })
    assert response.status_code == 200
    assert "ivan@shop.ru" in response.text
    # when they confirm with the link from the mail and sign in
    assert browser.submit(mailbox.last_link("ivan@shop.ru")).status_code == 303
    response = browser.submit("/login", {"email": "ivan@shop.ru", "password": "long enough pw"})
    # then they see the empty list of points with what to do first
    assert response.status_code == 303
    page = browser.get("/points")
    assert "Add your first shop" in page.text
