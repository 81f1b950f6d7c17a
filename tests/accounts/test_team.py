"""The team: inviting colleagues, what each role may do, and taking access away."""

from __future__ import annotations

from support import create_owner, sign_in, user_id

PASSWORD = "correct horse 1"


# --- invitations -----------------------------------------------------------------------


def test_an_invited_colleague_joins_and_later_signs_in_with_their_email(owner, new_browser, mailbox):
    # given an owner who invites a colleague as an accountant on the team page
    response = owner.submit("/team/invite", {"email": "Anna@Shop.ru", "role": "accountant"})
    assert response.status_code == 303
    assert "Invitation sent to anna@shop.ru." in owner.get("/team").text
    # when the colleague opens the link from the mail
    [mail] = mailbox.messages("anna@shop.ru")
    assert "as «Accountant»" in mail["text"]
    colleague = new_browser()
    form = colleague.get(mailbox.last_link("anna@shop.ru"))
    # then they see a form to join, with their login
    assert form.status_code == 200
    assert "Your login is anna@shop.ru" in form.text
    # when they accept with their name, phone and a password
    response = colleague.submit(
        mailbox.last_link("anna@shop.ru"), {"name": "Анна", "phone": "8 900 765-43-21", "password": PASSWORD}
    )
    # then they are signed in and welcomed
    assert response.status_code == 303
    assert "Welcome to OpenKassa!" in colleague.get("/points").text
    # and the owner sees them active on the team page
    assert "Анна" in owner.get("/team").text
    # and from another computer they sign in with their e-mail and password
    assert sign_in(new_browser(), "anna@shop.ru", PASSWORD).get("/api/v1/me").json()["role"] == "accountant"


def test_the_invitation_link_works_once(owner, new_browser, mailbox):
    # given a colleague who joined
    owner.submit("/team/invite", {"email": "anna@shop.ru", "role": "manager"})
    link = mailbox.last_link("anna@shop.ru")
    new_browser().submit(link, {"name": "Анна", "phone": "+79007654321", "password": PASSWORD})
    # when someone else opens the same link and tries to set a password
    intruder = new_browser()
    page = intruder.get(link)
    attempt = intruder.submit(link, {"name": "Eve", "phone": "+79001112233", "password": "attacker pw 1"})
    # then the link is gone, and the colleague's password still works
    assert page.status_code == attempt.status_code == 404
    assert "This link has expired or was already used" in page.text
    assert new_browser().submit("/login", {"email": "anna@shop.ru", "password": PASSWORD}).status_code == 303


def test_accepting_with_a_bad_phone_keeps_the_form_and_the_link(owner, new_browser, mailbox):
    # given a colleague on the invitation form
    owner.submit("/team/invite", {"email": "anna@shop.ru", "role": "manager"})
    link = mailbox.last_link("anna@shop.ru")
    colleague = new_browser()
    # when they type a phone that is not one
    response = colleague.submit(link, {"name": "Анна", "phone": "123", "password": PASSWORD})
    # then the form comes back marked, with the name kept
    assert response.status_code == 422
    assert 'id="e-phone"' in response.text
    assert 'value="Анна"' in response.text
    # and the link still lets them join
    assert colleague.submit(link, {"name": "Анна", "phone": "+79007654321", "password": PASSWORD}).status_code == 303


def test_an_invited_colleague_cannot_sign_in_before_accepting(owner, new_browser):
    # given a colleague who was invited but has not chosen a password
    owner.submit("/team/invite", {"email": "anna@shop.ru", "role": "manager"})
    # when someone tries to sign in as them with an empty or a guessed password
    for guess in ("x", "correct horse 1"):
        response = new_browser().submit("/login", {"email": "anna@shop.ru", "password": guess})
        # then they are refused
        assert response.status_code == 401


def test_inviting_a_registered_email_is_refused_on_the_email_field(db, owner, mailbox):
    # given someone registered in another company
    create_owner(db, email="taken@other.ru")
    mails_before = mailbox.messages()
    # when the owner invites that address
    response = owner.submit("/team/invite", {"email": "Taken@Other.ru", "role": "manager"})
    # then the team page says so next to the e-mail field, and no mail goes out
    assert response.status_code == 409
    assert 'id="e-email"' in response.text
    assert "This e-mail is already registered" in response.text
    assert 'value="Taken@Other.ru"' in response.text
    assert mailbox.messages() == mails_before


def test_inviting_through_the_json_api(owner, new_browser, mailbox, api):
    # when the owner's script invites a colleague through the API
    response = owner.post("/api/v1/users", json={"email": "boris@shop.ru", "role": "manager"}, headers=api(owner))
    # then the colleague is listed as invited and gets a mail with a link
    assert response.status_code == 201
    assert response.json()["invited"] is True
    assert mailbox.last_link("boris@shop.ru").startswith("/invite/")
    # and the same address cannot be invited twice
    again = owner.post("/api/v1/users", json={"email": "boris@shop.ru", "role": "manager"}, headers=api(owner))
    assert again.status_code == 409
    assert "email" in again.json()["error"]["fields"]


# --- roles ----------------------------------------------------------------------------


def test_an_accountant_reads_points_but_cannot_create_one(join_team, new_point, api):
    # given an accountant of the shop
    accountant = join_team("anna@shop.ru", "accountant")
    # when they list the points
    listed = accountant.get("/api/v1/points")
    # then they may
    assert listed.status_code == 200
    # when they try to create a point through the API and through the form
    by_api = accountant.post("/api/v1/points", json=new_point(), headers=api(accountant))
    by_form = accountant.submit("/points/new", new_point(as_form=True))
    # then both are refused as beyond their role
    assert by_api.status_code == 403
    assert by_api.json()["error"]["code"] == "forbidden"
    assert by_form.status_code == 403
    assert "Your role does not allow this." in by_form.text
    assert accountant.get("/api/v1/points").json() == []


def test_a_manager_creates_points_but_cannot_manage_the_team(join_team, new_point, api, mailbox):
    # given a manager of the shop
    manager = join_team("boris@shop.ru", "manager")
    # when they create a point
    created = manager.post("/api/v1/points", json=new_point(), headers=api(manager))
    # then they may
    assert created.status_code == 201
    # when they open the team, list or invite users
    page = manager.get("/team")
    listed = manager.get("/api/v1/users")
    invited = manager.post("/api/v1/users", json={"email": "spy@shop.ru", "role": "owner"}, headers=api(manager))
    invited_by_form = manager.submit("/team/invite", {"email": "spy@shop.ru", "role": "owner"})
    # then each is refused, and no one is invited
    assert page.status_code == 403
    assert "Your role does not allow this." in page.text
    assert listed.status_code == invited.status_code == invited_by_form.status_code == 403
    assert mailbox.messages("spy@shop.ru") == []
    # and the sidebar does not offer the team
    assert 'href="/team"' not in manager.get("/points").text


def test_a_manager_cannot_make_themselves_owner(db, join_team, api):
    # given a manager of the shop
    manager = join_team("boris@shop.ru", "manager")
    me = user_id(db, "boris@shop.ru")
    # when they try to raise their own role
    by_api = manager.patch(f"/api/v1/users/{me}", json={"role": "owner"}, headers=api(manager))
    by_form = manager.submit(f"/team/{me}/role", {"role": "owner"})
    # then it is refused and they stay a manager
    assert by_api.status_code == by_form.status_code == 403
    assert manager.get("/api/v1/me").json()["role"] == "manager"


def test_an_owner_changes_a_colleagues_role_and_it_takes_effect_at_once(db, owner, join_team, new_point, api):
    # given an accountant who cannot create points
    accountant = join_team("anna@shop.ru", "accountant")
    # when the owner makes them a manager on the team page
    response = owner.submit(f"/team/{user_id(db, 'anna@shop.ru')}/role", {"role": "manager"})
    assert response.status_code == 303
    assert "is now «Manager»" in owner.get("/team").text
    # then, without signing in again, they can create a point
    assert accountant.post("/api/v1/points", json=new_point(), headers=api(accountant)).status_code == 201


def test_the_last_owner_cannot_be_demoted(db, owner, api):
    # given an account with one owner
    me = user_id(db, "owner@shop.ru")
    # when the owner makes themselves a manager on the team page
    response = owner.submit(f"/team/{me}/role", {"role": "manager"})
    # then the team page says the account needs an owner, and they stay the owner
    assert response.status_code == 303
    assert "The account must keep at least one owner." in owner.get("/team").text
    # when they try the same through the API
    response = owner.patch(f"/api/v1/users/{me}", json={"role": "accountant"}, headers=api(owner))
    # then it is refused on the role field
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"role": "The account must keep at least one owner."}
    assert owner.get("/api/v1/me").json()["role"] == "owner"


def test_the_last_owner_cannot_be_deactivated(db, owner):
    # given an account with one owner
    me = user_id(db, "owner@shop.ru")
    # when the owner tries to deactivate themselves
    response = owner.submit(f"/team/{me}/active", {})
    # then it is refused with a message, and they are still signed in
    assert response.status_code == 303
    assert "You cannot deactivate yourself." in owner.get("/team").text
    assert owner.get("/api/v1/me").status_code == 200


def test_one_of_two_owners_may_step_down(db, owner, join_team):
    # given a second owner
    join_team("second@shop.ru", "owner")
    # when the first owner makes themselves a manager
    owner.submit(f"/team/{user_id(db, 'owner@shop.ru')}/role", {"role": "manager"})
    # then they are a manager now
    assert owner.get("/api/v1/me").json()["role"] == "manager"


def test_a_deactivated_colleague_is_signed_out_at_once_and_cannot_sign_in(db, owner, join_team, new_browser):
    # given a manager working in the back office
    manager = join_team("boris@shop.ru", "manager")
    assert manager.get("/points").status_code == 200
    # when the owner deactivates them
    response = owner.submit(f"/team/{user_id(db, 'boris@shop.ru')}/active", {})
    assert response.status_code == 303
    assert "is signed out and can no longer sign in" in owner.get("/team").text
    # then their open page sends them to sign in
    assert manager.get("/points").headers["location"] == "/login?next=/points"
    # and they can sign in neither with the form nor with HTTP Basic
    refused = new_browser().submit("/login", {"email": "boris@shop.ru", "password": PASSWORD})
    assert refused.status_code == 401
    assert "Wrong e-mail or password." in refused.text
    assert new_browser().get("/api/v1/me", auth=("boris@shop.ru", PASSWORD)).status_code == 401


def test_a_reactivated_colleague_can_sign_in_again(db, owner, join_team, new_browser):
    # given a manager who was deactivated
    join_team("boris@shop.ru", "manager")
    boris = user_id(db, "boris@shop.ru")
    owner.submit(f"/team/{boris}/active", {})
    # when the owner brings them back
    owner.submit(f"/team/{boris}/active", {"active": "on"})
    # then they can sign in again
    assert new_browser().submit("/login", {"email": "boris@shop.ru", "password": PASSWORD}).status_code == 303


def test_a_deactivated_invitee_cannot_use_the_invitation(db, owner, new_browser, mailbox):
    # given a colleague invited by mistake, deactivated before they accepted
    owner.submit("/team/invite", {"email": "anna@shop.ru", "role": "manager"})
    link = mailbox.last_link("anna@shop.ru")
    owner.submit(f"/team/{user_id(db, 'anna@shop.ru')}/active", {})
    # when they open the invitation link
    stranger = new_browser()
    page = stranger.get(link)
    attempt = stranger.submit(link, {"name": "Анна", "phone": "+79007654321", "password": PASSWORD})
    # then it no longer works
    assert page.status_code == attempt.status_code == 404
    assert "ok_session" not in stranger.cookies


def test_an_owner_cannot_touch_users_of_another_company(db, owner, new_browser, api):
    # given another company and its owner
    create_owner(db, email="rival@other.ru", plan="standard")
    rival = user_id(db, "rival@other.ru")
    # when our owner tries to see, demote or deactivate them
    seen = owner.get(f"/api/v1/users/{rival}")
    demoted = owner.patch(f"/api/v1/users/{rival}", json={"role": "accountant"}, headers=api(owner))
    deactivated = owner.submit(f"/team/{rival}/active", {})
    # then, as far as our owner can tell, there is no such user
    assert seen.status_code == demoted.status_code == deactivated.status_code == 404
    # and the rival still signs in as an owner
    assert sign_in(new_browser(), "rival@other.ru").get("/api/v1/me").json()["role"] == "owner"


# --- plan limits on the team ------------------------------------------------------------


def test_starter_plan_counts_colleagues_also_when_one_is_brought_back(db, starter_owner, new_browser, mailbox):
    # given a Starter account (3 users) with the owner and two colleagues, one of them deactivated
    for email in ("anna@shop.ru", "boris@shop.ru"):
        assert starter_owner.submit("/team/invite", {"email": email, "role": "manager"}).status_code == 303
    starter_owner.submit(f"/team/{user_id(db, 'anna@shop.ru')}/active", {})
    # and a third colleague invited in the freed place
    assert starter_owner.submit("/team/invite", {"email": "vera@shop.ru", "role": "manager"}).status_code == 303
    # when the owner brings the deactivated colleague back (that would make four)
    starter_owner.submit(f"/team/{user_id(db, 'anna@shop.ru')}/active", {"active": "on"})
    # then it is refused with the plan's limit, and Anna stays deactivated
    page = starter_owner.get("/team")
    assert "Upgrade the plan" in page.text
    assert 'badge-grey">Deactivated' in page.text


def test_starter_plan_refuses_a_fourth_colleague_on_the_team_page(starter_owner, mailbox):
    # given a Starter account (3 users) with the owner and two invited colleagues
    for email in ("anna@shop.ru", "boris@shop.ru"):
        starter_owner.submit("/team/invite", {"email": email, "role": "manager"})
    # when the owner invites a third colleague
    response = starter_owner.submit("/team/invite", {"email": "vera@shop.ru", "role": "manager"})
    # then the team page says the plan allows no more, and no mail goes out
    assert response.status_code == 402
    assert "Your plan «Starter» includes users: up to 3. Upgrade the plan to add more." in response.text
    assert 'value="vera@shop.ru"' in response.text
    assert mailbox.messages("vera@shop.ru") == []


def test_a_deactivated_second_owner_can_be_made_a_manager(db, owner, join_team):
    # given a second owner who left and was deactivated
    join_team("second@shop.ru", "owner")
    second = user_id(db, "second@shop.ru")
    owner.submit(f"/team/{second}/active", {})
    # when the remaining owner makes them a manager
    owner.submit(f"/team/{second}/role", {"role": "manager"})
    # then it is done: the account still has its active owner
    page = owner.get("/team").text
    assert "is now «Manager»" in page
    assert "The account must keep at least one owner." not in page
