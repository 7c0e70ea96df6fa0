"""The five steps of issue 23, run by run.py with its helpers (`h`) against one app server."""
import re
import time

from selenium.webdriver.common.by import By

TIME = re.compile(r"since \d\d:\d\d:\d\d")


def run_steps(h, url, alice, bob, carol):
    h.sign_in(alice, url, "Alice", ["rep"])
    h.sign_in(bob, url, "Bob", ["rep"])
    h.sign_in(carol, url, "Carol", ["admin", "manager"])
    for number, step in enumerate((step1, step2, step3, step4, step5), start=1):
        h.log(f"step {number}: {step.__doc__.strip().splitlines()[0]}")
        began = time.monotonic()
        step(h, url, alice, bob, carol)
        h.timings[f"step{number}_seconds"] = round(time.monotonic() - began, 2)


def step1(h, url, alice, bob, carol):
    """Alice opens contact 1 ("editing phone"); Bob's list and record page show her padlock."""
    bob.get(url + "/records")
    h.wait_text(bob, "#row-contacts-1 .padlock", "Free", who="Bob's list")
    h.open_record(alice, url, "/records/contacts/1", "editing phone")
    clicked = time.time()
    h.wait_url(alice, "/edit/", who="Alice")
    row = h.wait_text(bob, "#row-contacts-1 .padlock", "Locked by Alice (frontend-1)", "editing phone", who="Bob's list")
    h.note_delay("step1_list_padlock_delay", time.time() - clicked, limit=2)
    assert TIME.search(row), f"Bob's list row has no time: {row!r}"
    h.shot(bob, "01-list-padlock")
    bob.get(url + "/records/contacts/1")
    text = h.wait_text(bob, "#padlock", "Locked by Alice (frontend-1)", "editing phone", who="Bob's record page")
    assert TIME.search(text), f"Bob's record page has no time: {text!r}"
    h.wait_text(bob, "#notify", "Notify me", who="Bob")
    h.shot(bob, "02-record-locked")
    # Carol waits in line for a moment (her place shown live), then leaves the page, which leaves the line.
    carol.get(url + "/records/contacts/1")
    h.wait_text(carol, "#padlock", "Locked by Alice (frontend-1)", who="Carol")
    h.click(carol, "#wait")
    h.wait_text(carol, "#queue", "You are number 1 in line", who="Carol in line")
    h.shot(carol, "02b-wait-in-line")
    carol.get(url + "/admin")
    h.wait_text(carol, "#locks", f"{h.TENANT}/contacts/1", "Alice (frontend-1)", who="Carol's admin page")
    h.wait_until("Carol's place in line ends when she leaves the page (the admin page refreshes live)",
                 lambda: "Carol" not in h.text_of(carol, "#locks"), h.DEADLINE)


def step2(h, url, alice, bob, carol):
    """Bob asks to be notified; Carol force-unlocks; Alice sees the banner and the store refuses her save."""
    h.click(bob, "#notify")
    h.wait_text(bob, "#notify-status", "as soon as it is free", who="Bob")
    h.fill(alice, "#f-phone", "+44 20 7946 9999 (Alice's edit)")
    carol.get(url + "/admin")
    h.wait_text(carol, "#locks", f"{h.TENANT}/contacts/1", "Alice (frontend-1)", who="Carol's admin page")
    h.shot(carol, "03-admin-held-locks")
    h.fill(carol, "#force-key", f"{h.TENANT}/contacts/1")
    h.fill(carol, "#force-reason", "Alice is at lunch; Bob needs the record")
    clicked = time.time()
    h.click(carol, "#force-unlock")
    h.wait_text(alice, "#banner", "Carol (frontend-1)", "force-unlocked", "Alice is at lunch", who="Alice's banner")
    h.note_delay("step2_force_unlock_banner_delay", h.shown_at(alice, "#banner") - clicked, limit=2)
    h.wait_text(alice, "#holding", "You no longer hold the lock", who="Alice's lock line")
    assert not alice.find_element(By.ID, "save").is_enabled(), "Alice's Save is still enabled"
    h.wait_text(carol, "#admin-message", "Force-unlocked", "Alice (frontend-1)", who="Carol")
    delayed = h.wait_text(bob, "#padlock", "Just unlocked; free again at", who="Bob's padlock (lock-delay)")
    h.log(f"  Bob's padlock after the force-unlock: {delayed!r}")
    h.wait_text(bob, "#notice", "Contact 1 is free now", timeout=h.DEADLINE + 10, who="Bob's notice")
    h.note_delay("step2_bob_notified_after_force_unlock", h.shown_at(bob, "#notice") - clicked)
    for stamp, state, text in bob.execute_script("return window.crmLog || []"):
        h.log(f"    Bob's padlock at {stamp / 1000 - clicked:+.2f} s: {state}: {text}")
    h.fill(bob, "#note", "calling the customer")
    h.click(bob, "#notice-open")
    h.wait_url(bob, "/edit/", who="Bob")
    h.click(alice, "#save-anyway")
    h.wait_text(alice, "#result", "Refused by the store", who="Alice's save")
    kept = alice.find_element(By.ID, "f-phone").get_attribute("value")
    assert kept == "+44 20 7946 9999 (Alice's edit)", f"Alice's text was not kept: {kept!r}"
    h.shot(alice, "04-banner-and-refused-save")


def step3(h, url, alice, bob, carol):
    """Carol, a manager, takes Bob's record over with a reason; Bob's banner names her."""
    carol.get(url + "/records/contacts/1")
    h.wait_text(carol, "#padlock", "Locked by Bob (frontend-1)", "calling the customer", who="Carol")
    h.fill(carol, "#takeover-reason", "customer escalated to me")
    clicked = time.time()
    h.click(carol, "#takeover")
    h.wait_url(carol, "/edit/", who="Carol")
    h.wait_text(bob, "#banner", "Carol (frontend-1) took Contact 1 over", "customer escalated to me", who="Bob's banner")
    h.note_delay("step3_takeover_banner_delay", h.shown_at(bob, "#banner") - clicked, limit=2)
    assert not bob.find_element(By.ID, "save").is_enabled(), "Bob's Save is still enabled"
    h.shot(bob, "05-takeover-banner")
    h.click(carol, "#done")
    h.wait_url(carol, "/records/contacts/1", who="Carol")


def step4(h, url, alice, bob, carol):
    """Carol places "Deal closed" on deal 1 (finance-admin exempt, notes editable)."""
    carol.get(url + "/admin")
    for field, value in (("#hold-key", f"{h.TENANT}/deals/1"), ("#hold-rule", "Deal closed"),
                         ("#hold-reason", "stage closed-won"), ("#hold-exempt", "finance-admin"),
                         ("#hold-editable", "notes")):
        h.fill(carol, field, value)
    h.click(carol, "#place-hold")
    h.wait_text(carol, "#admin-message", "Placed: Hold “Deal closed”", who="Carol")
    h.wait_text(carol, "#holds", "Deal closed", "stage closed-won", who="Carol's holds table")
    # A rep is refused with the rule's name.
    h.open_record(bob, url, "/records/deals/1", "updating the amount")
    h.wait_text(bob, "#message", "cannot be edited", "Hold “Deal closed”", "Exempt: finance-admin", who="Bob")
    h.wait_text(bob, "#padlock", "Deal closed", who="Bob's padlock")
    h.shot(bob, "06-hold-refuses-rep")
    # Alice signs out (releaseAll) and back in as a finance-admin, who edits the whole deal.
    h.click(alice, "#sign-out")
    h.wait_text(alice, "#message", "Signed out Alice", who="Alice")
    h.sign_in(alice, url, "Alice", ["rep", "finance-admin"])
    h.open_record(alice, url, "/records/deals/1", "booking the invoice")
    h.edit_and_save(alice, "Alice (finance-admin)", "stage", "closed-won, invoiced")
    h.click(alice, "#done")
    h.wait_url(alice, "/records/deals/1", who="Alice")
    # The rep edits the editable field.
    h.open_record(bob, url, "/records/deals/1", "adding call notes", field="notes")
    h.edit_and_save(bob, "Bob (notes)", "notes", "Customer asked for a kickoff call in January.")
    h.shot(bob, "07-rep-edits-notes-under-hold")
    h.click(bob, "#done")
    h.wait_url(bob, "/records/deals/1", who="Bob")
    h.wait_text(bob, "#value-notes", "kickoff call", who="Bob")


def step5(h, url, alice, bob, carol):
    """Carol freezes the tenant: every edit is refused with the reason; after unfreezing, edits work."""
    carol.get(url + "/admin")
    h.fill(carol, "#freeze-reason", "invoice overdue")
    h.click(carol, "#freeze")
    h.wait_text(carol, "#admin-message", "Placed: Hold “Tenant frozen”", who="Carol")
    for who, driver in (("Bob", bob), ("Alice (finance-admin)", alice)):
        h.open_record(driver, url, "/records/contacts/2", "fixing the e-mail")
        h.wait_text(driver, "#message", "Tenant frozen", "invoice overdue", who=who)
    h.open_record(bob, url, "/records/deals/2", "new amount")
    h.wait_text(bob, "#message", "Tenant frozen", "invoice overdue", who="Bob on a deal")
    bob.get(url + "/records")
    h.wait_text(bob, "#tenant", "Tenant frozen", "invoice overdue", who="Bob's list")
    h.shot(bob, "08-tenant-frozen")
    carol.get(url + "/admin")
    h.click(carol, "#unfreeze")
    h.wait_text(carol, "#admin-message", "Lifted “Tenant frozen”", who="Carol")
    h.open_record(bob, url, "/records/contacts/2", "fixing the e-mail")
    h.edit_and_save(bob, "Bob after unfreeze", "email", "grace.hopper@example.com")
    # Leaving the edit page without Done releases the lock (navigator.sendBeacon on pagehide).
    bob.get(url + "/records")
    h.wait_text(bob, "#row-contacts-2 .padlock", "Free", who="Bob's list after leaving the edit page")
    carol.get(url + "/admin")
    for action in ("forceUnlock", "takeover", "holdPlaced", "holdLifted"):
        h.wait_text(carol, "#audit", action, who="Carol's audit trail")
    carol.execute_script("document.getElementById('audit').scrollIntoView()")
    h.shot(carol, "09-admin-audit")
