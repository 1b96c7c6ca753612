"""The workbench page in Chromium: fill the generated form, classify, read the result and its proof,
see an error beside the field it names, and see the case's path in the pathway diagram."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def classify(page, fields: dict) -> None:
    page.goto("/")
    for name, value in fields.items():
        control = page.locator(f'[name="{name}"]').first
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    page.locator("#classify").click()


def test_an_adult_with_a_growing_4cm_lump_is_urgent_with_the_ultrasound_and_its_proof(page, screenshot):
    classify(page, {"patient.age_years": "54", "lump.size_cm": "4", "lump.growth": "increasing"})
    expect(page.locator("#status")).to_contain_text("Classified", timeout=60_000)
    urgency = page.locator('section.kind[data-key="urgency"] li.item')
    expect(urgency).to_contain_text("urgent")
    expect(urgency).to_contain_text("within 2 weeks")
    action = page.locator('section.kind[data-key="actions"] li[data-item="ultrasound-soft-tissue"]')
    expect(action).to_contain_text("soft-tissue ultrasound")
    action.locator("details.references > summary").click()
    expect(action.locator("details.references")).to_contain_text("NICE. Suspected cancer: recognition and referral (NG12)")
    # the proof: conclusion <- rule <- premises <- input findings, each shared step once
    action.locator("details.why > summary").click()
    proof = action.locator("details.why .proof")
    expect(proof).to_contain_text("rule ng12-adult-growing-lump-ultrasound")
    expect(proof).to_contain_text("lump.growth = increasing")
    expect(proof.locator("a[href^='/rules.html#rule-']").first).to_be_visible()
    rule_lines = proof.locator(".rule", has_text="adult-red-flags")
    assert rule_lines.count() == 1, "the red-flag step is shown once in the proof"
    screenshot("workbench-adult-growing-lump")
    assert not page.console_errors, page.console_errors


def test_the_pathway_diagram_highlights_the_path_the_case_took(page, screenshot):
    classify(page, {"patient.age_years": "54", "lump.size_cm": "4", "lump.growth": "increasing"})
    expect(page.locator("#status")).to_contain_text("Classified", timeout=60_000)
    diagram = page.locator("#pathway-diagram")
    expect(diagram).to_have_attribute("data-slug", "adult-soft-tissue")
    expect(diagram.locator("svg g.node.taken#rule-ng12-adult-growing-lump-ultrasound")).to_have_count(1)
    for node in ("finding-lump.growth", "pathway-adult-soft-tissue", "outcome-ultrasound-soft-tissue"):
        assert diagram.locator(f'svg g.node.taken[id="{node}"]').count() == 1, node
    assert diagram.locator("svg g.edge.taken").count() >= 1
    # a rule the case did not take is not highlighted
    assert diagram.locator("svg g.node.rule:not(.taken)").count() >= 1
    page.locator("#pathway-tabs button", has_text=re.compile("horn", re.I)).click()
    expect(diagram).to_have_attribute("data-slug", "cutaneous-horn")
    screenshot("workbench-pathway-horn")


def test_an_invalid_size_is_shown_beside_its_field(page, screenshot):
    classify(page, {"patient.age_years": "54", "lump.size_cm": "-2"})
    expect(page.locator("#status")).to_contain_text("Invalid case", timeout=60_000)
    error = page.locator('.error[data-error-for="lump.size_cm"]')
    expect(error).to_contain_text("'size_cm' must be a number above 0")
    expect(page.locator('.field[data-field="lump.size_cm"]')).to_have_class(re.compile("invalid"))
    screenshot("workbench-invalid-size")
    assert page.locator('section.kind[data-key="actions"]').count() == 0, "no result is shown for an invalid case"


def test_the_page_offers_the_catalogue_and_the_query_page(page):
    page.goto("/")
    expect(page.locator("p.disclaimer")).to_have_count(1)
    page.locator("nav a", has_text="Rule catalogue").click()
    expect(page).to_have_url(re.compile(r"/rules\.html$"))
    expect(page.locator("#rule-ng12-adult-growing-lump-ultrasound")).to_have_count(1)
