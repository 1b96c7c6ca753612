"""A deterministic synthetic corpus of flat JSON cases with a realistic mix of findings.

Ages 0-95 (infants given in days or months), most lumps benign (superficial, soft, mobile, small,
stable), a minority with each red flag, skin markers in some children, unknown findings (keys
left out), ultrasound results on some, pigmented lesions and horns on a few, a few invalid cases.
The same (n, seed) always gives the same bytes.

Run: python bench/corpus.py N [SEED] > cases.jsonl
"""

from __future__ import annotations

import json
import random
import sys

MARKERS = ["hairy-patch", "discoloration", "capillary-malformation", "simple-dimple", "atypical-dimple",
           "dermal-sinus", "draining-sinus", "subcutaneous-mass-with-skin-changes"]


def case(i: int, rng: random.Random) -> dict:
    c: dict = {"id": f"synthetic-{i:07d}"}
    roll = rng.random()
    if roll < 0.04:
        c["patient"] = {"age_days": rng.randint(0, 60)}
    elif roll < 0.10:
        c["patient"] = {"age_months": rng.randint(1, 30)}
    else:
        c["patient"] = {"age_years": rng.randint(2, 95)}
    if rng.random() < 0.9:
        c["patient"]["sex"] = rng.choice(["female", "male"])
    lump = {"site": rng.choice(["upper-back", "lower-back", "flank", "interscapular"]),
            "size_cm": round(rng.uniform(0.5, 3.0), 1), "depth": "superficial", "fixed_to_deep_tissue": False,
            "growth": "stable", "consistency": rng.choice(["soft", "rubbery", "soft", "fluctuant"]), "mobile": True,
            "ulceration": False, "bleeding": False, "pain": False, "onset": "later"}
    flag = rng.random()
    if flag < 0.05:
        lump["size_cm"] = round(rng.uniform(3.1, 12.0), 1)
    elif flag < 0.08:
        lump["depth"] = "deep"
    elif flag < 0.12:
        lump["growth"] = rng.choice(["increasing", "rapid"])
    elif flag < 0.14:
        lump["consistency"] = rng.choice(["firm", "hard"])
    elif flag < 0.15:
        lump["ulceration"] = True
    elif flag < 0.16:
        lump["bleeding"] = True
    elif flag < 0.18:
        lump["pain"] = True
    elif flag < 0.19:
        lump["onset"] = "neonatal"
    if rng.random() < 0.15:  # unknown findings: keys left out
        for key in rng.sample(["size_cm", "depth", "growth", "consistency", "pain", "onset", "ulceration"], rng.randint(1, 2)):
            lump.pop(key, None)
    if rng.random() < 0.03:
        lump["keratotic_projection"] = True
        lump["sun_exposed_site"] = rng.random() < 0.5
    if rng.random() < 0.04:
        lump["pigmented"] = True
        lump["pigmented_lesion"] = {k: rng.random() < 0.3 for k in ("change_in_size", "irregular_shape", "irregular_colour",
                                                                     "inflammation", "oozing", "change_in_sensation")}
        lump["pigmented_lesion"]["diameter_mm"] = rng.randint(2, 12)
    if rng.random() < 0.05:
        lump["punctum"] = True
    c["lump"] = lump
    years = c["patient"].get("age_years", 0)
    if years < 16:
        c["skin_markers"] = rng.sample(MARKERS, rng.randint(1, 2)) if rng.random() < 0.08 else []
    if rng.random() < 0.25:
        c["imaging"] = {"ultrasound": rng.choice(["benign", "lipoma", "lipoma", "benign", "uncertain", "suggestive-of-sarcoma", "not-done"])}
        c["clinical_concern_persists"] = rng.random() < 0.2
    if rng.random() < 0.05:
        c["suspected"] = [rng.choice(["lipoma", "neoplasm", "epidermoid-cyst"])]
    if rng.random() < 0.05:
        c["excision_requested_for"] = rng.choice(["cosmetic", "infection-prevention", "diagnostic-certainty"])
    if rng.random() < 0.3:
        day = rng.randint(1, 20)
        c["dates"] = {"first_seen": f"2026-03-{day:02d}", "ultrasound": f"2026-04-{rng.randint(1, 28):02d}"}
    if rng.random() < 0.005:  # a few invalid cases
        bad = rng.choice(["negative", "typo", "enum"])
        if bad == "negative":
            lump["size_cm"] = -1
        elif bad == "typo":
            lump["sise_cm"] = 2
        else:
            lump["depth"] = "very"
    return c


def generate(n: int, seed: int = 42):
    rng = random.Random(seed)
    for i in range(n):
        yield case(i, rng)


def write(path, n: int, seed: int = 42) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for c in generate(n, seed):
            fh.write(json.dumps(c, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    n = int(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 42
    for c in generate(n, seed):
        sys.stdout.write(json.dumps(c, separators=(",", ":")) + "\n")
