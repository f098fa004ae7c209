"""Generate examples/leads.csv: one week of synthetic inbound leads for examples/leadrelay.yml.

    .venv/bin/python examples/make_leads.py > examples/leads.csv

Deterministic (``random.Random(7)``, stdlib only): the same script always writes the same file.
240 leads from Monday 2026-11-16 to Friday 2026-11-20, submitted at every hour of the day in the
submitter's own time zone (mostly office hours, some evenings and nights), written with a UTC offset.

The ``owner`` column is who the ops team actually assigned each lead before Leadrelay, worked out
by the rough rules of thumb people used (``OpsDesk`` below), not by the routing engine. So
it mostly agrees with the config about who should own a lead, and disagrees where people do: they
recognise a named account by its company name even on a gmail address, hand a pool's lead to whoever
is online and has waited longest (so the order within a pool drifts from the engine's rotation),
ignore backups, capacity and daily caps, give some small companies to mid-market reps, and pick the
wrong EMEA rep now and then. Replaying the file with ``leadrelay simulate`` shows the distribution
and the agreement.
"""

from __future__ import annotations

import csv
import sys
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random
from zoneinfo import ZoneInfo

SEED = 7
COUNT = 240
WEEK_START = datetime(2026, 11, 16, tzinfo=UTC)  # Monday
WEEK_END = WEEK_START + timedelta(days=5)  # Saturday 00:00 UTC, exclusive

# fmt: off
COLUMNS = [
    "external_id", "created_at", "email", "first_name", "last_name", "company", "domain", "title",
    "country", "employees", "industry", "source", "intent", "score", "budget", "urgency", "owner",
]
# fmt: on


@dataclass(frozen=True)
class Market:
    code: str
    names: tuple[str, ...]  # how people type the country in a form, besides the ISO code
    region: str
    tz: str
    weight: float
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    free_mail: tuple[str, ...]


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    country: str
    industry: str
    employees: int
    account_owner: str | None = None  # a named account in the config
    mail_domains: tuple[str, ...] = ()  # other domains its people write from (subsidiaries, aliases)


# fmt: off
_EN_FIRST = ("James", "Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Ashley", "Ryan",
             "Megan", "Kevin", "Lauren", "Brian", "Rachel", "Tyler", "Hannah", "Jordan", "Olivia")
_EN_LAST = ("Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Anderson",
            "Taylor", "Thomas", "Moore", "Jackson", "White", "Harris", "Clark", "Lewis", "Walker")
_UK_FIRST = ("Oliver", "Charlotte", "Harry", "Amelia", "George", "Isla", "Jack", "Sophie", "Thomas", "Grace")
_UK_LAST = ("Hughes", "Evans", "Roberts", "Wright", "Thompson", "Hall", "Green", "Wood", "Turner", "Ward")
_DE_FIRST = ("Lukas", "Anna", "Felix", "Lena", "Maximilian", "Sophie", "Jonas", "Laura", "Tobias", "Katrin")
_DE_LAST = ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Schäfer", "Koch")
_FR_FIRST = ("Camille", "Louis", "Léa", "Hugo", "Manon", "Julien", "Chloé", "Antoine", "Inès", "Mathieu")
_FR_LAST = ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Roux", "Fontaine")
_ES_FIRST = ("Sofía", "Mateo", "Valentina", "Santiago", "Camila", "Diego", "Lucía", "Javier", "Gabriela")
_ES_LAST = ("García", "Rodríguez", "Martínez", "López", "Hernández", "González", "Pérez", "Sánchez")
_PT_FIRST = ("João", "Ana", "Pedro", "Beatriz", "Lucas", "Mariana", "Rafael", "Fernanda")
_PT_LAST = ("Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Almeida", "Carvalho")
_NL_FIRST = ("Daan", "Sanne", "Bram", "Femke", "Lars", "Eva", "Sven", "Ingrid", "Piotr", "Agnieszka")
_NL_LAST = ("de Vries", "Jansen", "Bakker", "Visser", "Lindqvist", "Andersson", "Nowak", "Kowalski")
_ME_FIRST = ("Omar", "Layla", "Yusuf", "Noura", "Thabo", "Naledi", "Ahmed", "Fatima")
_ME_LAST = ("Al Mansoori", "Haddad", "Khalil", "Nkosi", "Dlamini", "Farouk", "Rahman")
_JP_FIRST = ("Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Daiki", "Sakura", "Kaito", "Mio")
_JP_LAST = ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Kobayashi", "Kato")
_SG_FIRST = ("Wei Ling", "Jun Jie", "Mei", "Arjun", "Priya", "Siti", "Hao", "Min-jun", "Ji-woo", "Rahul")
_SG_LAST = ("Tan", "Lim", "Ng", "Wong", "Chen", "Lee", "Kumar", "Nair", "Kim", "Park")
_AU_FIRST = ("Jack", "Chloe", "Liam", "Matilda", "Cooper", "Zoe", "Lachlan", "Ruby", "Nikau", "Aroha")
_AU_LAST = ("Smith", "Jones", "Kelly", "Murphy", "Mitchell", "Campbell", "Ryan", "Walsh", "Ngata")

_GLOBAL_FREE = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com")

MARKETS = {
    m.code: m
    for m in (
        Market("US", ("United States", "USA", "United States of America"), "NA", "America/New_York",
               30, _EN_FIRST, _EN_LAST, _GLOBAL_FREE),
        Market("US-W", ("United States", "USA"), "NA", "America/Los_Angeles",
               9, _EN_FIRST, _EN_LAST, _GLOBAL_FREE),
        Market("US-C", ("United States", "USA"), "NA", "America/Chicago",
               8, _EN_FIRST, _EN_LAST, _GLOBAL_FREE),
        Market("CA", ("Canada",), "NA", "America/Toronto", 4, _EN_FIRST, _EN_LAST, _GLOBAL_FREE),
        Market("GB", ("United Kingdom", "UK", "England"), "EMEA", "Europe/London",
               10, _UK_FIRST, _UK_LAST, ("gmail.com", "hotmail.co.uk", "outlook.com")),
        Market("IE", ("Ireland",), "EMEA", "Europe/Dublin", 1.5, _UK_FIRST, _UK_LAST, ("gmail.com",)),
        Market("DE", ("Germany", "Deutschland"), "EMEA", "Europe/Berlin",
               9, _DE_FIRST, _DE_LAST, ("gmx.de", "web.de", "t-online.de", "gmail.com")),
        Market("AT", ("Austria", "Österreich"), "EMEA", "Europe/Vienna", 1.5, _DE_FIRST, _DE_LAST,
               ("gmx.at",)),
        Market("CH", ("Switzerland", "Schweiz"), "EMEA", "Europe/Zurich", 1.5, _DE_FIRST, _DE_LAST,
               ("gmail.com",)),
        Market("FR", ("France",), "EMEA", "Europe/Paris", 5, _FR_FIRST, _FR_LAST, ("orange.fr", "free.fr")),
        Market("NL", ("Netherlands", "The Netherlands"), "EMEA", "Europe/Amsterdam",
               2, _NL_FIRST, _NL_LAST, ("gmail.com",)),
        Market("ES", ("Spain", "España"), "EMEA", "Europe/Madrid", 2, _ES_FIRST, _ES_LAST, ("gmail.com",)),
        Market("SE", ("Sweden",), "EMEA", "Europe/Stockholm", 1.5, _NL_FIRST, _NL_LAST, ("gmail.com",)),
        Market("PL", ("Poland",), "EMEA", "Europe/Warsaw", 1.5, _NL_FIRST, _NL_LAST, ("wp.pl",)),
        Market("AE", ("United Arab Emirates", "UAE"), "EMEA", "Asia/Dubai", 1.5, _ME_FIRST, _ME_LAST,
               ("gmail.com",)),
        Market("ZA", ("South Africa",), "EMEA", "Africa/Johannesburg", 1, _ME_FIRST, _ME_LAST,
               ("gmail.com",)),
        Market("JP", ("Japan",), "APAC", "Asia/Tokyo", 6, _JP_FIRST, _JP_LAST, ("yahoo.co.jp", "gmail.com")),
        Market("SG", ("Singapore",), "APAC", "Asia/Singapore", 3, _SG_FIRST, _SG_LAST, ("gmail.com",)),
        Market("AU", ("Australia",), "APAC", "Australia/Sydney", 4, _AU_FIRST, _AU_LAST,
               ("bigpond.com", "gmail.com")),
        Market("NZ", ("New Zealand",), "APAC", "Pacific/Auckland", 1, _AU_FIRST, _AU_LAST, ("gmail.com",)),
        Market("IN", ("India",), "APAC", "Asia/Kolkata", 2, _SG_FIRST, _SG_LAST, ("gmail.com",)),
        Market("KR", ("South Korea", "Korea"), "APAC", "Asia/Seoul", 1, _SG_FIRST, _SG_LAST, ("naver.com",)),
        Market("HK", ("Hong Kong",), "APAC", "Asia/Hong_Kong", 1, _SG_FIRST, _SG_LAST, ("gmail.com",)),
        Market("MX", ("Mexico",), "LATAM", "America/Mexico_City", 2.5, _ES_FIRST, _ES_LAST,
               ("gmail.com", "hotmail.com")),
        Market("BR", ("Brazil", "Brasil"), "LATAM", "America/Sao_Paulo", 1.5, _PT_FIRST, _PT_LAST,
               ("gmail.com",)),
        Market("CO", ("Colombia",), "LATAM", "America/Bogota", 1, _ES_FIRST, _ES_LAST, ("gmail.com",)),
        Market("AR", ("Argentina",), "LATAM", "America/Argentina/Buenos_Aires", 1, _ES_FIRST, _ES_LAST,
               ("gmail.com",)),
    )
}

# Fictional companies. Named accounts carry their owner from examples/leadrelay.yml, which is what
# the ops team's account list said too.
COMPANIES = [
    # North America
    Company("Acme Corporation", "acme.com", "US", "manufacturing", 5200, "grace-miller",
            ("acme.com", "acme-corp.com")),
    Company("Initech", "initech.com", "US", "saas", 150, "ava-chen"),
    Company("Umbrella Health", "umbrella-health.com", "US-W", "healthcare", 900, "noah-kim",
            ("umbrella-health.com", "umbrellahealth.org")),
    Company("Globex (US office)", "globex.com", "US", "fintech", 3100, "oliver-hughes"),
    Company("Brightline Payments", "brightlinepay.com", "US", "fintech", 140),
    Company("Cobalt Ridge Software", "cobaltridge.io", "US-W", "saas", 65),
    Company("Harbor & Pine Outfitters", "harborandpine.com", "US", "retail", 38),
    Company("Meridian Clinical Labs", "meridianlabs.com", "US-C", "healthcare", 420),
    Company("Tallgrass Manufacturing", "tallgrassmfg.com", "US-C", "manufacturing", 180),
    Company("Ledgerly", "ledgerly.co", "US", "fintech", 12),
    Company("Pixel & Parcel", "pixelparcel.com", "US-W", "retail", 9),
    Company("Northbeam Analytics", "northbeam-analytics.com", "US", "saas", 24),
    Company("Stonebridge Credit Union", "stonebridgecu.org", "US-C", "fintech", 610),
    Company("Redwood Dental Group", "redwooddental.com", "US-W", "healthcare", 45),
    Company("Quillstack", "quillstack.io", "US", "saas", 6),
    Company("Great Lakes Fabrication", "glfab.com", "US-C", "manufacturing", 1300),
    Company("Summit Ridge Outdoor", "summitridgeoutdoor.com", "US-W", "retail", 2400),
    Company("Copperline Logistics", "copperline.com", "US", "logistics", 95),
    Company("Bluejay Bookkeeping", "bluejaybooks.com", "US", "fintech", 4),
    Company("Juniper Care Clinics", "junipercare.com", "US", "healthcare", 17),
    Company("Maple Ledger Financial", "mapleledger.ca", "CA", "fintech", 220),
    Company("Aurora Health Network", "aurorahealth.ca", "CA", "healthcare", 75),
    Company("Frontenac Robotics", "frontenacrobotics.ca", "CA", "manufacturing", 15),
    # EMEA
    Company("Acme GmbH", "acme.de", "DE", "manufacturing", 5200, "grace-miller",
            ("acme.de", "eu.acme.com")),
    Company("Globex", "globex.co.uk", "GB", "fintech", 3100, "oliver-hughes"),
    Company("Kessler Maschinenbau", "kessler-maschinenbau.de", "DE", "manufacturing", 780, "jonas-weber",
            ("kessler-maschinenbau.de", "kessler.at")),
    Company("Thames Valley Analytics", "tvanalytics.co.uk", "GB", "saas", 55),
    Company("Hartwell & Finch", "hartwellfinch.co.uk", "GB", "retail", 160),
    Company("Kestrel Pay", "kestrelpay.com", "GB", "fintech", 18),
    Company("Northgate Medical Supplies", "northgatemedical.co.uk", "GB", "healthcare", 240),
    Company("Liffey Cloud", "liffeycloud.ie", "IE", "saas", 30),
    Company("Isarwerk Software", "isarwerk.de", "DE", "saas", 85),
    Company("Bergmann Medizintechnik", "bergmann-medtech.de", "DE", "healthcare", 310),
    Company("Finovia", "finovia.de", "DE", "fintech", 14),
    Company("Rheinland Handel", "rheinland-handel.de", "DE", "retail", 48),
    Company("Alpenlogik", "alpenlogik.at", "AT", "saas", 22),
    Company("Zahlwerk", "zahlwerk.ch", "CH", "fintech", 260),
    Company("Lumière Santé", "lumiere-sante.fr", "FR", "healthcare", 130),
    Company("Atelier Numérique", "ateliernumerique.fr", "FR", "saas", 11),
    Company("Maison Delacroix", "maisondelacroix.fr", "FR", "retail", 540),
    Company("Grachtwerk", "grachtwerk.nl", "NL", "saas", 40),
    Company("Solaria Pagos", "solariapagos.es", "ES", "fintech", 70),
    Company("Nordljus Retail", "nordljus.se", "SE", "retail", 190),
    Company("Wisla Tech", "wislatech.pl", "PL", "manufacturing", 120),
    Company("Dune Capital", "dunecapital.ae", "AE", "fintech", 35),
    Company("Table Bay Health", "tablebayhealth.co.za", "ZA", "healthcare", 95),
    # APAC
    Company("Nakamura Robotics", "nakamura-robotics.co.jp", "JP", "manufacturing", 1800, "yuki-tanaka",
            ("nakamura-robotics.co.jp", "nakamura-robotics.com")),
    Company("Sakura Fintech", "sakura-fintech.jp", "JP", "fintech", 60),
    Company("Tokyo Cloudworks", "tokyocloudworks.jp", "JP", "saas", 16),
    Company("Hoshino Retail", "hoshino-retail.co.jp", "JP", "retail", 450),
    Company("Lion City Payments", "lioncitypay.sg", "SG", "fintech", 110),
    Company("Straits Health", "straitshealth.com.sg", "SG", "healthcare", 260),
    Company("Southern Cross Logistics", "southerncross.com.au", "AU", "logistics", 700, "ryan-lim"),
    Company("Bondi Software", "bondisoftware.com.au", "AU", "saas", 28),
    Company("Kookaburra Retail", "kookaburra.com.au", "AU", "retail", 13),
    Company("Kiwi Ledger", "kiwiledger.co.nz", "NZ", "fintech", 19),
    Company("Saffron Systems", "saffronsystems.in", "IN", "saas", 230),
    Company("Hangang Bio", "hangangbio.kr", "KR", "healthcare", 85),
    Company("Jade Harbour Trading", "jadeharbour.com.hk", "HK", "retail", 150),
    # LATAM
    Company("Grupo Altamira", "grupoaltamira.mx", "MX", "retail", 380),
    Company("PagosMX", "pagosmx.com", "MX", "fintech", 25),
    Company("Ipê Tecnologia", "ipetecnologia.com.br", "BR", "saas", 60),
    Company("Andes Salud", "andessalud.co", "CO", "healthcare", 45),
    Company("Pampa Industrial", "pampaindustrial.com.ar", "AR", "manufacturing", 140),
]

EXEC_TITLES = ("CEO", "CFO", "CTO", "COO", "Chief Revenue Officer", "VP of Sales", "VP Operations",
               "Vice President, Finance", "Head of Revenue Operations", "SVP Engineering")
MANAGER_TITLES = ("Director of Sales", "Sales Operations Manager", "IT Manager", "Marketing Manager",
                  "Procurement Lead", "Director of Finance", "Operations Manager", "Engineering Manager")
IC_TITLES = ("Sales Development Rep", "Account Executive", "Business Analyst", "Software Engineer",
             "Marketing Specialist", "Office Manager", "Data Analyst", "Solutions Consultant")
FOUNDER_TITLES = ("Founder", "Co-Founder & CEO", "Founder / Managing Director", "Owner")

# source -> (weight, intents with weights, score range)
SOURCES = {
    "web_form": (24, {"general": 6, "demo": 2, "pricing": 1}, (5, 85)),
    "demo_request": (18, {"demo": 1}, (30, 100)),
    "pricing_page": (10, {"pricing": 1}, (25, 95)),
    "content_download": (20, {"content": 1}, (0, 95)),
    "partner": (7, {"demo": 2, "general": 1}, (45, 95)),
    "event": (9, {"general": 3, "content": 1}, (5, 80)),
    "chat": (12, {"general": 2, "pricing": 1, "demo": 1}, (10, 90)),
}

PEOPLE = {
    "NA_MID": ("ava-chen", "liam-ortiz", "noah-kim"),
    "EMEA": ("chloe-martin", "jonas-weber", "oliver-hughes"),
    "APAC": ("yuki-tanaka", "ryan-lim", "mia-thompson"),
    "INSIDE": ("ethan-brooks", "amelia-clarke"),  # one shared queue, whoever is online takes it
}
ENTERPRISE_BY_REGION = {"NA": "grace-miller", "EMEA": "oliver-hughes", "APAC": "ryan-lim",
                        "LATAM": "grace-miller"}
# fmt: on


def pick(rng: Random, weighted: dict[str, float]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def ascii_local(text: str) -> str:
    """The ASCII spelling people use in an email address: "Lefèvre" -> "lefevre", "Müller" -> "muller"."""
    folded = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


def local_time(rng: Random, tz: ZoneInfo) -> datetime:
    """A submission time in the week, in the submitter's zone: office hours mostly, then evenings,
    then the small hours."""
    while True:
        day = rng.randrange(5)
        band = rng.random()
        if band < 0.68:
            minute = rng.randrange(8 * 60, 18 * 60)
        elif band < 0.88:
            minute = rng.randrange(18 * 60, 23 * 60 + 59)
        else:
            minute = rng.randrange(0, 8 * 60)
        local = datetime(2026, 11, 16 + day, tzinfo=tz) + timedelta(minutes=minute, seconds=rng.randrange(60))
        if WEEK_START <= local.astimezone(UTC) < WEEK_END:
            return local


def make_lead(rng: Random) -> tuple[dict[str, str], Company | None, Market]:
    market = MARKETS[pick(rng, {m.code: m.weight for m in MARKETS.values()})]
    company: Company | None
    if rng.random() < 0.16:  # a named account: the people we most want to route right
        company = rng.choice([c for c in COMPANIES if c.account_owner])
    elif rng.random() < 0.06:  # a student, a freelancer, a job seeker: no company at all
        company = None
    else:
        company = rng.choice([c for c in COMPANIES if c.country == market.code and not c.account_owner])
    if company is not None:
        market = MARKETS[company.country]

    first, last = rng.choice(market.first_names), rng.choice(market.last_names)
    free_mail = company is None or rng.random() < 0.12
    if free_mail:
        mail_domain = rng.choice(market.free_mail)
        local_part = rng.choice(
            [
                f"{ascii_local(first)}.{ascii_local(last)}",
                f"{ascii_local(first)}{rng.randrange(10, 99)}",
                f"{ascii_local(first)[0]}{ascii_local(last)}",
            ]
        )
    else:
        mail_domain = rng.choice(company.mail_domains or (company.domain,))
        local_part = rng.choice(
            [f"{ascii_local(first)}.{ascii_local(last)}", f"{ascii_local(first)[0]}{ascii_local(last)}"]
        )
    email = f"{local_part}@{mail_domain}"

    # The website field: usually the company's site, in whatever form people type it.
    domain = ""
    if company is not None and rng.random() < 0.8:
        domain = rng.choice([company.domain, company.domain, f"www.{company.domain}", f"https://www.{company.domain}/"])
        if mail_domain.startswith("eu."):
            domain = mail_domain

    code = market.code.split("-")[0]
    country_roll = rng.random()
    country = code if country_roll < 0.55 else rng.choice(market.names) if country_roll < 0.95 else ""

    employees = company.employees if company is not None else rng.choice([1, 2, 3, 5, 8])
    if company is not None:  # people round, and some leave it blank
        employees = int(employees * rng.uniform(0.85, 1.15)) if employees > 30 else employees
    employees_text = "" if rng.random() < 0.06 else str(employees)

    industry = company.industry if company is not None else ""
    if industry and rng.random() < 0.12:
        industry = {
            "fintech": "FinTech",
            "saas": "SaaS",
            "healthcare": "Healthcare",
            "retail": "Retail",
            "manufacturing": "Manufacturing",
        }.get(industry, industry.title())
    if rng.random() < 0.06:
        industry = ""

    source = pick(rng, {name: spec[0] for name, spec in SOURCES.items()})
    _, intents, (low, high) = SOURCES[source]
    intent = pick(rng, intents)
    score = round(rng.triangular(low, high, low + 0.45 * (high - low)))
    score_text = "" if rng.random() < 0.04 else str(score)  # no score: a badge scan, a chat

    if employees < 20:
        title_pool = rng.choices([FOUNDER_TITLES, EXEC_TITLES, MANAGER_TITLES, IC_TITLES], weights=[4, 1, 2, 3])[0]
    else:
        title_pool = rng.choices(
            [EXEC_TITLES, MANAGER_TITLES, IC_TITLES], weights=[4, 4, 3] if employees >= 200 else [3, 4, 3]
        )[0]
    title = "" if rng.random() < 0.05 else rng.choice(title_pool)

    budget = ""
    if employees >= 200:
        budget = rng.choices(["confirmed", "exploring", ""], weights=[4, 2, 4])[0]
    elif employees >= 20:
        budget = rng.choices(["confirmed", "exploring", ""], weights=[2, 2, 6])[0]
    urgency = rng.choices(["high", "medium", "low", ""], weights=[2, 2, 1, 5])[0]

    created = local_time(rng, ZoneInfo(market.tz))
    # Half of the sources stamp the submitter's local time, the other half UTC.
    created_text = (created if rng.random() < 0.5 else created.astimezone(UTC)).isoformat()

    lead = {
        "created_at": created_text,
        "email": email,
        "first_name": first,
        "last_name": last,
        "company": company.name if company else "",
        "domain": domain,
        "title": title,
        "country": country,
        "employees": employees_text,
        "industry": industry,
        "source": source,
        "intent": intent,
        "score": score_text,
        "budget": budget,
        "urgency": urgency,
    }
    if rng.random() < 0.03:  # a form that lost the email: only the name and company came through
        lead["email"] = ""
    return lead, company, market


# The ops team's picture of who works when (local zone, shift start and end in hours, Monday to Friday).
SHIFTS = {
    "ava-chen": ("America/New_York", 8.5, 17.5),
    "liam-ortiz": ("America/Chicago", 8, 17),
    "noah-kim": ("America/Los_Angeles", 9, 18),
    "chloe-martin": ("Europe/Paris", 9, 18),
    "jonas-weber": ("Europe/Berlin", 8, 17),
    "oliver-hughes": ("Europe/London", 9, 17.5),
    "yuki-tanaka": ("Asia/Tokyo", 9, 18),
    "ryan-lim": ("Asia/Singapore", 9, 18),
    "mia-thompson": ("Australia/Sydney", 8.5, 17),
    "ethan-brooks": ("America/Chicago", 7, 16),
    "amelia-clarke": ("Europe/London", 8, 16.5),
}


class OpsDesk:
    """How the ops team assigned leads by hand, by the rules of thumb in their wiki, with the usual slips.

    Deliberately not a call into the routing engine and not a copy of it: it knows accounts by company
    name rather than domain, hands a pool's lead to whoever in the pool is online and has waited
    longest, ignores capacity, daily caps and backups, and slips now and then.
    """

    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.last_given: dict[str, datetime] = {}

    def online(self, rep: str, when: datetime) -> bool:
        tz, start, end = SHIFTS[rep]
        local = when.astimezone(ZoneInfo(tz))
        return local.weekday() < 5 and start <= local.hour + local.minute / 60 < end

    def next_in(self, reps: tuple[str, ...], when: datetime) -> str:
        online = [rep for rep in reps if self.online(rep, when)] or list(reps)
        never = datetime.min.replace(tzinfo=UTC)
        return min(online, key=lambda r: (self.last_given.get(r, never), reps.index(r)))

    def owner(self, lead: dict[str, str], company: Company | None, market: Market) -> str:
        when = datetime.fromisoformat(lead["created_at"])
        rep = self._owner(lead, company, market, when)
        self.last_given[rep] = when
        return rep

    def _owner(self, lead: dict[str, str], company: Company | None, market: Market, when: datetime) -> str:
        region = market.region
        code = market.code.split("-")[0]
        employees = int(lead["employees"]) if lead["employees"] else None
        words = lead["title"].lower().replace(",", " ").split()
        exec_title = bool(set(words) & {"ceo", "cfo", "cto", "coo", "vp", "svp", "chief", "head", "vice"})
        urgent = lead["intent"] in ("demo", "pricing") or lead["urgency"] == "high" or "founder" in words
        slip = self.rng.random()

        if company is not None and company.account_owner:
            # Known by name, even from a gmail address; now and then nobody checks the account list.
            return company.account_owner if slip > 0.05 else self.next_in(PEOPLE["NA_MID"], when)
        if lead["source"] == "partner":
            return "priya-patel"
        if employees is not None and employees >= 200 and (lead["budget"] == "confirmed" or exec_title):
            return ENTERPRISE_BY_REGION[region]
        if code in ("DE", "AT", "CH"):
            return "jonas-weber" if slip > 0.1 else "oliver-hughes"
        if region == "APAC":
            if code == "JP":
                return "yuki-tanaka"
            if code in ("AU", "NZ"):
                return "mia-thompson" if slip > 0.15 else "ryan-lim"
            return self.next_in(PEOPLE["APAC"], when)
        if employees is None:
            return self.next_in(PEOPLE["INSIDE"], when)
        if employees < 20:
            if urgent and slip < 0.2:  # "it's a demo, give it to an AE": SMB landing with mid-market reps
                return self.next_in(PEOPLE["NA_MID"], when)
            return self.next_in(PEOPLE["INSIDE"], when)
        if region == "EMEA":
            if slip < 0.12:  # the wrong EMEA rep: whoever answered in the channel first
                return self.rng.choice(PEOPLE["EMEA"])
            if code == "FR":
                return "chloe-martin"
            return self.next_in(PEOPLE["EMEA"], when)
        if region == "LATAM":
            return "liam-ortiz"
        if employees >= 200:
            return "grace-miller" if slip > 0.3 else self.next_in(PEOPLE["NA_MID"], when)
        return self.next_in(PEOPLE["NA_MID"], when)


def main() -> None:
    rng = Random(SEED)
    made = [make_lead(rng) for _ in range(COUNT)]
    made.sort(key=lambda item: datetime.fromisoformat(item[0]["created_at"]))
    desk = OpsDesk(rng)  # the ops team assigns in order of arrival
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for number, (lead, company, market) in enumerate(made, start=1):
        owner = desk.owner(lead, company, market)
        writer.writerow({"external_id": f"NW-2611-{number:04d}", **lead, "owner": owner})


if __name__ == "__main__":
    main()
