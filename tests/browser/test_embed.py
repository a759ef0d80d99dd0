"""The embed script in real Chromium, on a host page from another origin than Rostra's.

Each test loads a newsroom's page holding the one script tag, works the thread as a reader would
(mouse or keyboard), and checks both what the page shows and what the server stored.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, Route, expect

from tests.browser._helpers import (
    THREAD,
    active_in_shadow,
    allow_host,
    api_page,
    api_vote,
    comment,
    fragment_html,
    host_page,
    open_embed,
    remember_token,
    root_ids,
    seed,
    token_key,
    wait_for_focus,
)
from tests.browser.conftest import HostSite
from tests.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("embedded", "no_page_errors")]


def post_via_form(page: Page, body: str, name: str = "") -> None:
    page.fill(".rostra-form textarea", body)
    if name:
        page.fill(".rostra-form input[name=author]", name)
    page.click(".rostra-form .rostra-submit")


def test_renders_inside_a_shadow_root_that_host_css_cannot_reach(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    first, _ = seed(server, "An *early* reader", author="Ada")
    seed(server, "Another view", author="Grace")
    hostile = "<style>li, p { display: none !important } section { color: red !important }</style>"
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    open_embed(page, host_site, server, head=hostile)

    info = page.evaluate(
        """() => {
          const host = document.querySelector('[data-rostra-ready]');
          const sec = host.shadowRoot.querySelector('section.rostra');
          return {mode: host.shadowRoot.mode, inLight: !!document.querySelector('section.rostra'),
                  hasSection: !!sec, afterScript: host.previousElementSibling.localName,
                  sheet: host.shadowRoot.querySelector('link[rel=stylesheet]').href,
                  color: getComputedStyle(sec).color,
                  radius: getComputedStyle(sec).borderTopLeftRadius};
        }"""
    )
    assert info["mode"] == "open" and info["hasSection"] and not info["inLight"]
    assert info["afterScript"] == "script"  # placed where the tag is
    assert info["sheet"] == f"{server.url}/static/rostra.css"
    assert info["color"] != "rgb(255, 0, 0)" and info["radius"] == "12px"  # our CSS, not theirs
    expect(page.locator(".rostra-title")).to_have_text("2 comments")
    expect(comment(page, first).locator(".rostra-body em")).to_have_text("early")
    expect(comment(page, first)).to_be_visible()
    fetched = [u for u in requests if "/embed/demo/thread" in u]
    assert len(fetched) == 1 and f"thread={THREAD}" in fetched[0] and "lang=en" in fetched[0]
    assert not [u for u in requests if "/me?" in u]  # a reader without a token owns nothing


def test_adopts_a_server_rendered_fragment_without_refetching(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    mine, token = seed(server, "Included by the CMS", author="Ada")
    markup = fragment_html(server)
    # The fragment's translated strings for the script (the data-rostra-i18n hook).
    strings = json.dumps({"confirm": "Vraiment supprimer ?"}).replace("'", "&#39;")
    markup = markup.replace("<section ", f"<section data-rostra-i18n='{strings}' ", 1)
    remember_token(page, server, token)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    open_embed(page, host_site, server, container=markup)

    assert not [u for u in requests if "/embed/" in u]
    in_shadow = page.evaluate(
        "() => !!document.querySelector('#rostra-thread').shadowRoot.querySelector('#rostra')"
    )
    assert in_shadow
    delete = comment(page, mine).locator(".rostra-delete")
    expect(delete).to_be_visible()  # the stored token made it the reader's own
    delete.click()
    expect(delete).to_have_text("Vraiment supprimer ?")


def test_post_then_reply_without_reloading(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    other, _ = seed(server, "Who pays for the repairs?", author="Grace")
    posted: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: (
            posted.append(r.post_data_json)
            if r.method == "POST" and r.url.split("?")[0].endswith("/comments")
            else None
        ),
    )
    open_embed(page, host_site, server)
    url = page.url

    post_via_form(page, "The city *and* the state", name="Ada")
    new = page.locator(".rostra-comments > li").first
    expect(new.locator("> .rostra-card .rostra-body em")).to_have_text("and")
    new_id = new.get_attribute("data-id")
    assert new_id and new_id != other
    expect(page.locator(".rostra-title")).to_have_text("2 comments")
    expect(page.locator(".rostra-status")).to_have_text("Your comment was posted.")
    wait_for_focus(page, id=new_id)  # focus went to the new comment
    assert page.input_value(".rostra-form textarea") == ""
    assert page.url == url  # no navigation
    token = page.evaluate(f"localStorage.getItem({token_key(server)!r})")
    assert token and token.count(".") >= 1
    expect(comment(page, new_id).locator(".rostra-edit")).to_be_visible()
    expect(comment(page, other).locator(".rostra-edit")).to_be_hidden()

    # Reply to the other reader: the form moves under that comment, with its name shown.
    comment(page, other).locator(".rostra-reply").click()
    form = page.locator(f'li[data-id="{other}"] > .rostra-form')
    expect(form.locator(".rostra-replying")).to_contain_text("Replying to Grace")
    wait_for_focus(page, name="body")
    assert page.locator(".rostra-form").count() == 1
    form.locator("textarea").fill("From the budget, page 4")
    form.locator(".rostra-submit").click()
    reply = page.locator(f'li[data-id="{other}"] > .rostra-replies > li')
    expect(reply.locator(".rostra-body")).to_have_text("From the budget, page 4")
    expect(page.locator("section.rostra > .rostra-form")).to_have_count(1)  # back home
    expect(page.locator(".rostra-form [name=parent]")).to_have_count(0)
    expect(page.locator(".rostra-title")).to_have_text("3 comments")

    stored = api_page(server)
    by_id = {c["id"]: c for c in stored["comments"]}
    assert by_id[new_id]["author"] == "Ada"
    assert [r["html"] for r in by_id[other]["replies"]] == ["<p>From the budget, page 4</p>"]
    # The embed sends the article's address and title with each post; the thread was created by
    # the first (API) comment, so it keeps what that one said (issue 7, item 3).
    assert [(p["url"], p["title"]) for p in posted] == [
        ("https://paper.example/a1", "Harbour bridge reopens")
    ] * 2

    # A returning reader still owns both comments after a reload.
    page.reload()
    page.wait_for_selector("[data-rostra-ready]", state="attached")
    expect(comment(page, new_id).locator(".rostra-delete")).to_be_visible()
    reply_id = reply.get_attribute("data-id")
    expect(comment(page, str(reply_id)).locator(".rostra-delete")).to_be_visible()


def test_cancel_reply_returns_the_form_and_focus(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    other, _ = seed(server, "A question", author="Grace")
    open_embed(page, host_site, server)
    comment(page, other).locator(".rostra-reply").click()
    page.keyboard.type("half a thought")
    page.keyboard.press("Escape")
    expect(page.locator("section.rostra > .rostra-form")).to_have_count(1)
    expect(page.locator(".rostra-replying")).to_have_count(0)
    wait_for_focus(page, cls="rostra-reply")
    assert page.input_value(".rostra-form textarea") == "half a thought"


def test_edit_own_comment_inline_but_not_others(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    other, _ = seed(server, "Not yours to edit", author="Grace")
    open_embed(page, host_site, server)
    post_via_form(page, "First *draft*")
    mine = page.locator(".rostra-comments > li").first
    expect(mine).not_to_have_attribute("data-id", other)
    mine_id = str(mine.get_attribute("data-id"))

    expect(comment(page, other).locator(".rostra-edit")).to_be_hidden()
    expect(comment(page, other).locator(".rostra-delete")).to_be_hidden()
    comment(page, mine_id).locator(".rostra-edit").click()
    editor = comment(page, mine_id).locator(".rostra-editor textarea")
    expect(editor).to_have_value("First *draft*")  # the Markdown source, not the rendered text
    wait_for_focus(page, name="body")
    editor.fill("Second **take**")
    comment(page, mine_id).locator(".rostra-editor .rostra-submit").click()
    expect(comment(page, mine_id).locator(".rostra-body strong")).to_have_text("take")
    expect(comment(page, mine_id).locator(".rostra-edited")).to_be_visible()
    expect(comment(page, mine_id).locator(".rostra-editor")).to_have_count(0)
    wait_for_focus(page, id=mine_id)

    # After a reload the source comes from the server (the latest revision).
    page.reload()
    page.wait_for_selector("[data-rostra-ready]", state="attached")
    comment(page, mine_id).locator(".rostra-edit").click()
    expect(comment(page, mine_id).locator(".rostra-editor textarea")).to_have_value(
        "Second **take**"
    )
    page.keyboard.press("Escape")  # cancel: the text is back, the editor gone
    expect(comment(page, mine_id).locator(".rostra-editor")).to_have_count(0)
    expect(comment(page, mine_id).locator(".rostra-body")).to_be_visible()
    wait_for_focus(page, cls="rostra-edit")
    stored = {c["id"]: c for c in api_page(server)["comments"]}
    assert stored[mine_id]["html"] == "<p>Second <strong>take</strong></p>"
    assert stored[other]["html"] == "<p>Not yours to edit</p>"


def test_delete_asks_to_confirm_and_leaves_a_tombstone_over_replies(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    lonely, token = seed(server, "Nobody answers this", author="Ada")
    answered, _ = seed(server, "This one got a reply", author="Ada", token=token)
    reply, _ = seed(server, "Here is the reply", author="Grace", parent=answered)
    remember_token(page, server, token)
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    open_embed(page, host_site, server)
    expect(page.locator(".rostra-title")).to_have_text("3 comments")

    delete = comment(page, lonely).locator(".rostra-delete")
    delete.click()
    expect(delete).to_have_text("Confirm delete")
    expect(comment(page, lonely)).to_be_visible()  # nothing happened yet
    page.keyboard.press("Escape")
    expect(delete).to_have_text("Delete")
    delete.click()
    expect(delete).to_have_text("Confirm delete")
    delete.click()
    expect(page.locator(f'li[data-id="{lonely}"]')).to_have_count(0)
    expect(page.locator(".rostra-title")).to_have_text("2 comments")
    expect(page.locator(".rostra-status")).to_have_text("Your comment was deleted.")

    delete = comment(page, answered).locator(".rostra-delete")
    delete.click()
    delete.click()
    expect(comment(page, answered).locator(".rostra-tombstone")).to_have_text(
        "This comment was deleted."
    )
    expect(comment(page, reply).locator(".rostra-body")).to_have_text("Here is the reply")
    assert dialogs == []  # no window.confirm
    stored = api_page(server)
    assert [c["id"] for c in stored["comments"]] == [answered]
    assert stored["comments"][0]["deleted"] is True


def test_vote_and_take_it_back(server: LiveServer, host_site: HostSite, page: Page) -> None:
    target, _ = seed(server, "Vote on me", author="Grace")
    open_embed(page, host_site, server)
    up = comment(page, target).locator(".rostra-up")
    down = comment(page, target).locator(".rostra-down")
    score = comment(page, target).locator(".rostra-score")
    expect(up).to_have_attribute("aria-pressed", "false")

    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(score).to_have_text("1")
    up.click()  # the same again takes the vote back
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(score).to_have_text("0")
    down.click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(score).to_have_text("-1")
    assert api_page(server)["comments"][0]["downvotes"] == 1

    page.reload()  # the vote is remembered for this reader
    page.wait_for_selector("[data-rostra-ready]", state="attached")
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(score).to_have_text("-1")


def test_voting_on_own_comment_is_not_offered(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    open_embed(page, host_site, server)
    post_via_form(page, "My own words")
    mine = page.locator(".rostra-comments > li > .rostra-card").first
    expect(mine.locator(".rostra-delete")).to_be_visible()
    expect(mine.locator(".rostra-up")).to_be_hidden()


def test_sort_switches_without_reloading(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    a, _ = seed(server, "first", author="A")
    b, _ = seed(server, "second", author="B")
    c, _ = seed(server, "third", author="C")
    api_vote(server, b, 1)
    api_vote(server, b, 1)
    api_vote(server, a, 1)
    open_embed(page, host_site, server)
    assert root_ids(page) == [c, b, a]
    page.fill(".rostra-form textarea", "a draft survives sorting")

    page.click("a[data-sort=oldest]")
    expect(page.locator(".rostra-sort [aria-current]")).to_have_attribute("data-sort", "oldest")
    assert root_ids(page) == [a, b, c]
    wait_for_focus(page, text="Oldest")
    page.click("a[data-sort=votes]")
    expect(page.locator(".rostra-sort [aria-current]")).to_have_attribute("data-sort", "votes")
    assert root_ids(page) == [b, a, c]
    assert page.input_value(".rostra-form textarea") == "a draft survives sorting"


def test_load_more_then_show_all(server: LiveServer, host_site: HostSite, page: Page) -> None:
    allow_host(server, host_site, page_size=2)
    ids = [seed(server, f"comment {n}", author=f"R{n}")[0] for n in range(5)]
    seed(server, "a reply on the first page", parent=ids[4])
    newest_first = list(reversed(ids))
    open_embed(page, host_site, server)
    assert root_ids(page) == newest_first[:2]

    page.click(".rostra-more")
    expect(page.locator(".rostra-comments > li")).to_have_count(4)
    assert root_ids(page) == newest_first[:4]
    wait_for_focus(page, id=newest_first[2])
    expect(page.locator(".rostra-more")).to_be_visible()  # one more page is left

    page.click(".rostra-all")
    expect(page.locator(".rostra-comments > li")).to_have_count(5)
    assert root_ids(page) == newest_first
    expect(page.locator(".rostra-paging")).to_have_count(0)
    expect(page.locator(f'li[data-id="{ids[4]}"] .rostra-replies > li')).to_have_count(1)


def test_keyboard_only_reader_can_post(server: LiveServer, host_site: HostSite, page: Page) -> None:
    open_embed(page, host_site, server)
    # Tab from the top of the page until the comment box has focus.
    for _ in range(20):
        page.keyboard.press("Tab")
        if (active_in_shadow(page) or {}).get("name") == "body":
            break
    wait_for_focus(page, name="body")
    page.keyboard.type("Typed with the keyboard alone")
    for _ in range(6):
        page.keyboard.press("Tab")
        if "rostra-submit" in ((active_in_shadow(page) or {}).get("cls") or ""):
            break
    page.keyboard.press("Enter")
    new = page.locator(".rostra-comments > li").first
    expect(new.locator(".rostra-body")).to_have_text("Typed with the keyboard alone")
    wait_for_focus(page, tag="li", id=new.get_attribute("data-id"))
    outline = page.evaluate(
        """() => {
          const host = document.querySelector('[data-rostra-ready]');
          return getComputedStyle(host.shadowRoot.activeElement).outlineStyle;
        }"""
    )
    assert outline == "solid"  # a visible focus ring
    # Onwards by keyboard: the next stops are the new comment's own actions.
    page.keyboard.press("Tab")
    wait_for_focus(page, cls="rostra-permalink")


def test_empty_comment_shows_the_servers_error_and_keeps_the_text(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    open_embed(page, host_site, server)
    post_via_form(page, "   \n  ")
    error = page.locator(".rostra-form .rostra-error")
    expect(error).to_have_text("A comment cannot be empty.")
    expect(error).to_have_attribute("role", "alert")
    expect(page.locator(".rostra-form textarea")).to_have_attribute("aria-invalid", "true")
    assert page.input_value(".rostra-form textarea") == "   \n  "
    assert page.locator(".rostra-comments > li").count() == 0
    # Fixing it clears the error.
    post_via_form(page, "Now with words")
    expect(page.locator(".rostra-comments > li")).to_have_count(1)
    expect(error).to_have_count(0)


def test_a_repeated_post_is_refused_as_a_replay(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    """The response to a post is lost; sending again repeats the nonce and the server refuses."""
    lost: list[int] = []

    def lose_first_response(route: Route) -> None:
        if route.request.method == "POST" and not lost:
            response = route.fetch()  # the server gets it and stores the comment...
            lost.append(response.status)
            route.abort("connectionreset")  # ...but the browser never hears back
        else:
            route.continue_()

    page.route(re.compile(r".*/api/v1/sites/demo/comments(\?.*)?$"), lose_first_response)
    open_embed(page, host_site, server)
    post_via_form(page, "I read the council report twice before writing this.")
    error = page.locator(".rostra-form .rostra-error")
    expect(error).to_have_text("The comments could not be reached. Please try again.")
    assert lost == [201]
    assert (
        page.input_value(".rostra-form textarea")
        == "I read the council report twice before writing this."
    )

    page.click(".rostra-form .rostra-submit")
    expect(error).to_have_text("This comment was already posted.")
    assert (
        page.input_value(".rostra-form textarea")
        == "I read the council report twice before writing this."
    )
    assert [c["html"] for c in api_page(server)["comments"]] == [
        "<p>I read the council report twice before writing this.</p>"
    ]


def test_without_javascript_the_included_fragment_still_posts(
    server: LiveServer, host_site: HostSite, browser: Browser
) -> None:
    seed(server, "Posted before", author="Grace")
    host_site.html = host_page(server, container=fragment_html(server))
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(host_site.url + "/article")
        page.fill("#rostra-body", "No scripts here")
        page.fill("#rostra-name", "Ada")
        page.click("button.rostra-submit")
        # The no-JS form lands on Rostra's standalone thread page, showing the new comment.
        page.wait_for_url(re.compile(re.escape(server.url) + r"/t/demo\?"))
        expect(page.locator(".rostra-title")).to_have_text("2 comments")
        expect(page.locator(".rostra-comments > li").first.locator(".rostra-author")).to_have_text(
            "Ada"
        )
        # Votes work there too, as plain forms.
        grace = page.locator(".rostra-comments > li").nth(1)
        grace.locator(".rostra-up").click()
        expect(page.locator(".rostra-comments > li").nth(1).locator(".rostra-score")).to_have_text(
            "1"
        )
    finally:
        context.close()


def test_a_new_result_replaces_the_last_status_message(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    """A "posted" line must not stay beside a later refusal (issue 7, item 19)."""
    target, _ = seed(server, "Something to vote on", author="Grace")
    open_embed(page, host_site, server)
    status = page.locator(".rostra-status")
    post_via_form(page, "A first comment that goes through")
    expect(status).to_have_text("Your comment was posted.")
    post_via_form(page, "   ")
    expect(page.locator(".rostra-form .rostra-error")).to_have_text("A comment cannot be empty.")
    expect(status).to_have_text("")
    comment(page, target).locator(".rostra-up").click()
    expect(status).to_have_text("Vote recorded. Score 1.")
    post_via_form(page, "Will the ferry timetable change now that cars can cross again?")
    expect(status).to_have_text("Your comment was posted.")
    expect(page.locator(".rostra-form .rostra-error")).to_have_count(0)
