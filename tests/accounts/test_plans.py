"""Plans: what the Starter plan allows, and switching to a bigger one."""

from __future__ import annotations

STARTER_LIMIT = "Your plan «Starter» includes retail points: up to 2. Upgrade the plan to add more."


def test_starter_allows_two_points_and_refuses_the_third_with_a_plan_message(starter_owner, new_point, api):
    # given a Starter account with two points
    for name in ("Первая", "Вторая"):
        response = starter_owner.post("/api/v1/points", json=new_point(name), headers=api(starter_owner))
        assert response.status_code == 201
    # when the owner adds a third through the API
    response = starter_owner.post("/api/v1/points", json=new_point("Третья"), headers=api(starter_owner))
    # then it is refused as beyond the plan
    assert response.status_code == 402
    assert response.json() == {"error": {"code": "plan_limit", "message": STARTER_LIMIT, "fields": {}}}
    # when they try the form instead
    response = starter_owner.submit("/points/new", new_point("Третья", as_form=True))
    # then the form comes back with the same message
    assert response.status_code == 402
    assert STARTER_LIMIT in response.text
    # and there are still two points
    assert sorted(p["name"] for p in starter_owner.get("/api/v1/points").json()) == ["Вторая", "Первая"]


def test_after_switching_to_standard_the_owner_adds_more_points(starter_owner, new_point, api):
    # given a Starter account with its two points
    for name in ("Первая", "Вторая"):
        starter_owner.post("/api/v1/points", json=new_point(name), headers=api(starter_owner))
    # when the owner switches to Standard on the plan page
    page = starter_owner.get("/plan")
    assert "<b>Starter</b>" in page.text
    response = starter_owner.submit("/plan", {"plan": "standard"})
    # then the page says the plan is changed
    assert response.status_code == 303
    page = starter_owner.get("/plan")
    assert "Your plan is now «Standard»." in page.text
    assert "<b>Standard</b>" in page.text
    # and a third point can be added
    response = starter_owner.post("/api/v1/points", json=new_point("Третья"), headers=api(starter_owner))
    assert response.status_code == 201


def test_a_manager_sees_the_plan_but_cannot_switch_it(starter_owner, new_browser, mailbox):
    # given a manager on a Starter account
    starter_owner.submit("/team/invite", {"email": "boris@shop.ru", "role": "manager"})
    manager = new_browser()
    manager.submit(mailbox.last_link("boris@shop.ru"), {"name": "Борис", "phone": "+79007654321", "password": "correct horse 1"})
    # when they open the plan page
    page = manager.get("/plan")
    # then they see the plan without the switch buttons
    assert page.status_code == 200
    assert "<b>Starter</b>" in page.text
    assert "Switch" not in page.text
    # when they post the switch anyway
    response = manager.submit("/plan", {"plan": "extended"})
    # then it is refused and the plan stays
    assert response.status_code == 403
    assert "Your role does not allow this." in response.text
    assert "<b>Starter</b>" in starter_owner.get("/plan").text


def test_an_unknown_plan_is_refused_with_a_message(owner):
    # when a hostile owner posts a plan that does not exist
    response = owner.submit("/plan", {"plan": "free-forever"})
    # then the plan page says to choose an offered one, and the plan stays
    assert response.status_code == 303
    page = owner.get("/plan")
    assert "Choose one of the offered values." in page.text
    assert "<b>Standard</b>" in page.text
