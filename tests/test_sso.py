"""Single sign-on without the browser: the pure claim-to-role mapping, the sign-in service
(roles and teams given and taken, every change an Event), the LOCAL_PASSWORDS switch and
the sign-in pages. The end-to-end journey against a real provider is
tests/browser/test_sso.py."""

import base64
import hashlib
import os
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from django.test import Client

from audits.core import sso as core
from audits.core.roles import roles_of
from audits.models import Event, GroupMapping, SingleSignOnIdentity, Staff, Team
from audits.services.sso import SIGNED_IN, sso_sign_in
from audits.web.sso import SingleSignOnBackend

User = get_user_model()
ISSUER = "https://login.example/tenant/v2.0"
PASSWORD = "a-long-pass-phrase-7"


# --- The pure mapping --------------------------------------------------------------------
MAPPINGS = [
    core.GroupMapping(group="aud", role="auditor"),
    core.GroupMapping(group="mgr", role="manager"),
    core.GroupMapping(group="mgr", team="East", manages=True),
    core.GroupMapping(group="east", team="East"),
    core.GroupMapping(group="west", team="West"),
    core.GroupMapping(group="odd", role="superhero"),
]


def test_groups_give_the_union_of_their_roles_and_unmapped_groups_give_nothing():
    access = core.access_from_groups({"aud", "mgr", "canteen"}, MAPPINGS)
    assert access.roles == {"auditor", "manager"}
    assert access.managed_teams == {"East"}
    assert access.team is None


def test_no_mapped_group_means_no_role_and_an_unknown_role_is_ignored():
    assert core.access_from_groups({"canteen"}, MAPPINGS) == core.Access()
    assert core.access_from_groups({"odd"}, MAPPINGS).roles == frozenset()
    assert core.access_from_groups(set(), MAPPINGS) == core.Access()


def test_two_own_teams_keep_the_first_by_name_and_name_the_other():
    access = core.access_from_groups({"west", "east"}, MAPPINGS)
    assert access.team == "East"
    assert access.other_teams == ("West",)


@pytest.mark.parametrize(
    ("claims", "groups"),
    [
        ({"groups": ["a", "b", " ", "a"]}, {"a", "b"}),
        ({"groups": "a"}, {"a"}),
        ({}, set()),
        ({"groups": {"nested": 1}}, set()),
        ({"roles": ["x"]}, set()),
    ],
)
def test_groups_are_read_from_the_claim(claims, groups):
    assert core.groups_from_claims(claims) == groups


def test_another_claim_name_and_the_entra_overage_marker():
    assert core.groups_from_claims({"wids": ["x"]}, "wids") == {"x"}
    with pytest.raises(core.GroupsOverage, match="too many"):
        core.groups_from_claims({"_claim_names": {"groups": "src1"}})


def test_usernames_and_names_from_claims():
    assert core.username_for({"preferred_username": "a@b.org", "email": "c@d"}) == "a@b.org"
    assert core.username_for({"sub": "abc"}) == "abc"
    assert core.username_for({"email": "x" * 300}) == "x" * 150
    with pytest.raises(ValueError, match="no subject"):
        core.username_for({})
    assert core.display_name({"name": "Ann Marie Smith"}) == ("Ann", "Marie Smith")
    assert core.display_name({"given_name": "Ann", "family_name": "Smith"}) == ("Ann", "Smith")


# --- The sign-in service -----------------------------------------------------------------
@pytest.fixture
def table(db):
    east = Team.objects.create(name="East")
    GroupMapping.objects.create(group="aud", role="auditor")
    GroupMapping.objects.create(group="mgr", role="manager")
    GroupMapping.objects.create(group="mgr", team=east, manages=True)
    return east


def claims(sub="s-1", groups=(), **more):
    return {"sub": sub, "preferred_username": "ann@council.example", "groups": list(groups), **more}


def test_first_sign_in_makes_a_login_with_the_mapped_roles_and_records_it(table):
    user = sso_sign_in(issuer=ISSUER, claims=claims(groups=["aud", "mgr"], name="Ann Smith"))
    assert user.username == "ann@council.example"
    assert user.get_full_name() == "Ann Smith"
    assert not user.has_usable_password()
    assert roles_of(user) == {"auditor", "manager"}
    staff = Staff.objects.get(user=user)
    assert list(staff.managed_teams.values_list("name", flat=True)) == ["East"]
    verbs = list(Event.objects.order_by("pk").values_list("verb", flat=True))
    assert verbs == ["created", "staff.access_changed", SIGNED_IN]
    assert Event.objects.get(verb=SIGNED_IN).after["groups"] == ["aud", "mgr"]


def test_the_same_subject_signs_in_as_the_same_login_and_a_removed_group_takes_its_role(table):
    first = sso_sign_in(issuer=ISSUER, claims=claims(groups=["aud", "mgr"]))
    again = sso_sign_in(issuer=ISSUER, claims=claims(groups=["aud"], email="new@council.example"))
    assert again.pk == first.pk
    assert roles_of(User.objects.get(pk=first.pk)) == {"auditor"}
    assert not Staff.objects.get(user=first).managed_teams.exists()
    taken = Event.objects.filter(verb="staff.access_changed").latest("pk")
    assert taken.before == {"roles": ["auditor", "manager"], "managed_teams": ["East"]}
    assert taken.after == {"roles": ["auditor"], "managed_teams": []}
    assert taken.reason == "changed through single sign-on"


def test_nothing_changed_records_only_the_sign_in(table):
    sso_sign_in(issuer=ISSUER, claims=claims(groups=["aud"]))
    before = Event.objects.latest("pk").pk
    sso_sign_in(issuer=ISSUER, claims=claims(groups=["aud"]))
    assert list(Event.objects.filter(pk__gt=before).values_list("verb", flat=True)) == [SIGNED_IN]


def test_a_username_taken_locally_is_not_signed_into(table):
    local = User.objects.create_user("ann@council.example", password=PASSWORD)
    local.groups.add(Group.objects.get(name="admin"))
    user = sso_sign_in(issuer=ISSUER, claims=claims(groups=[]))
    assert user.pk != local.pk
    assert user.username == "ann@council.example-2"
    assert roles_of(User.objects.get(pk=local.pk)) == {"admin"}


def test_another_issuer_with_the_same_subject_is_another_person(table):
    one = sso_sign_in(issuer=ISSUER, claims=claims(groups=["aud"]))
    other = sso_sign_in(issuer="https://elsewhere.example", claims=claims(groups=["mgr"]))
    assert one.pk != other.pk
    assert roles_of(User.objects.get(pk=one.pk)) == {"auditor"}


def test_groups_that_are_not_roles_and_superuser_are_left_alone(table):
    user = sso_sign_in(issuer=ISSUER, claims=claims(groups=["mgr"]))
    user.groups.add(Group.objects.create(name="newsletter"))
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    user = sso_sign_in(issuer=ISSUER, claims=claims(groups=[]))
    assert set(user.groups.values_list("name", flat=True)) == {"newsletter"}
    assert roles_of(User.objects.get(pk=user.pk)) == {"admin"}  # break-glass stays


def test_a_table_that_maps_no_team_leaves_the_imported_teams_alone(db):
    GroupMapping.objects.create(group="aud", role="auditor")
    west = Team.objects.create(name="West")
    staff = Staff.objects.create(staff_ref="W1", name="Ann", email="ann@council.example", team=west)
    user = sso_sign_in(issuer=ISSUER, claims=claims(groups=["aud"], email="Ann@Council.example"))
    staff.refresh_from_db()
    assert staff.user_id == user.pk  # the register's staff record, linked by email
    assert staff.team == west


def test_a_table_that_maps_teams_sets_the_own_team(table):
    GroupMapping.objects.create(group="east", team=table)
    user = sso_sign_in(issuer=ISSUER, claims=claims(groups=["east", "aud"]))
    assert Staff.objects.get(user=user).team == table
    user = sso_sign_in(issuer=ISSUER, claims=claims(groups=["aud"]))
    assert Staff.objects.get(user=user).team is None


def test_the_entra_overage_refuses_the_sign_in_and_changes_nothing(table):
    user = sso_sign_in(issuer=ISSUER, claims=claims(groups=["mgr"]))
    events = Event.objects.count()
    overage = {"sub": "s-1", "_claim_names": {"groups": "src1"}}
    with pytest.raises(core.GroupsOverage):
        sso_sign_in(issuer=ISSUER, claims=overage)
    assert roles_of(User.objects.get(pk=user.pk)) == {"manager"}
    assert Event.objects.count() == events


def test_a_sign_in_with_no_subject_is_refused(table):
    with pytest.raises(ValueError, match="no subject"):
        sso_sign_in(issuer=ISSUER, claims={"groups": ["aud"]})
    assert not SingleSignOnIdentity.objects.exists()


# --- LOCAL_PASSWORDS and the pages -------------------------------------------------------
@pytest.fixture
def sso_settings(settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"
    settings.OIDC_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    settings.OIDC_RP_CLIENT_ID = "caseassure"
    settings.OIDC_ORGANISATION = "Test Council"
    return settings


def sign_in(username):
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    return client, response


def test_passwords_off_refuses_everyone_but_the_break_glass_superuser(sso_settings, db):
    User.objects.create_user("worker", password=PASSWORD)
    User.objects.create_superuser("breakglass", password=PASSWORD)
    sso_settings.LOCAL_PASSWORDS = False
    client, refused = sign_in("worker")
    assert refused.status_code == 200
    assert "Only the emergency administrator account may sign in" in refused.text
    assert "_auth_user_id" not in client.session
    client, allowed = sign_in("breakglass")
    assert allowed.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_passwords_on_lets_staff_sign_in_with_one(sso_settings, db):
    User.objects.create_user("worker", password=PASSWORD)
    _, response = sign_in("worker")
    assert response.status_code == 302


def test_turning_passwords_off_ends_password_sessions_of_others(sso_settings, db):
    User.objects.create_user("worker", password=PASSWORD)
    client, _ = sign_in("worker")
    assert client.get("/").status_code == 200
    sso_settings.LOCAL_PASSWORDS = False
    assert client.get("/").status_code == 302  # back to the sign-in page


def test_passwords_off_without_single_sign_on_is_refused_at_start():
    env = {**os.environ, "LOCAL_PASSWORDS": "off", "OIDC_ISSUER": "", "OIDC_CLIENT_ID": ""}
    result = subprocess.run(
        [sys.executable, "-c", "import django, os; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "backend.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "LOCAL_PASSWORDS=off needs OIDC_ISSUER and OIDC_CLIENT_ID" in result.stderr


def test_the_sign_in_page_offers_the_organisation_when_configured(sso_settings, db):
    page = Client().get("/accounts/login/?next=/cycles/")
    assert 'href="/accounts/sso/?next=/cycles/"' in page.text
    assert "Sign in with Test Council" in page.text
    sso_settings.LOCAL_PASSWORDS = False
    page = Client().get("/accounts/login/")
    assert "Emergency administrator sign-in" in page.text


def test_without_single_sign_on_there_is_no_button_and_its_pages_are_absent(settings, db):
    settings.OIDC_ISSUER = ""
    assert "Sign in with" not in Client().get("/accounts/login/").text
    assert Client().get("/accounts/sso/").status_code == 404
    assert Client().get("/accounts/sso/callback/?code=x&state=y").status_code == 404


def test_a_callback_that_does_not_match_a_sign_in_goes_back_with_words(sso_settings, db):
    client = Client()
    response = client.get("/accounts/sso/callback/?code=x&state=forged", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "Signing in with Test Council did not work" in response.text
    session = client.session
    session["oidc_states"] = {"known": {"nonce": "n", "code_verifier": "v"}}
    session.save()
    response = client.get("/accounts/sso/callback/?code=x&state=forged", follow=True)
    assert "Signing in with Test Council did not work" in response.text
    response = client.get("/accounts/sso/callback/?error=access_denied&state=known", follow=True)
    assert "Signing in with Test Council did not work" in response.text


def test_a_password_session_signs_out_here_not_at_the_provider(sso_settings, db):
    User.objects.create_user("worker", password=PASSWORD)
    client, _ = sign_in("worker")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/"


# --- The protocol: PKCE on the way out, the ID token checked on the way back ----------------
def test_the_authorisation_request_carries_a_pkce_challenge(sso_settings, db):
    sso_settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://login.example/authorize"
    client = Client()
    response = client.get("/accounts/sso/?next=/cycles/")
    assert response.status_code == 302
    url = urlsplit(response.url)
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://login.example/authorize"
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["caseassure"]
    assert query["code_challenge_method"] == ["S256"]
    stored = client.session["oidc_states"][query["state"][0]]
    verifier = stored["code_verifier"].encode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
    assert query["code_challenge"] == [challenge.decode()]
    assert query["nonce"] == [stored["nonce"]]
    assert client.session["oidc_login_next"] == "/cycles/"


@pytest.fixture
def signing_key(sso_settings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for name in ("TOKEN", "USER", "JWKS"):
        setattr(sso_settings, f"OIDC_OP_{name}_ENDPOINT", "https://login.example/x")
    sso_settings.OIDC_RP_IDP_SIGN_KEY = public.decode()
    return key


def id_token(key, **overrides):
    claims = {
        "iss": "http://127.0.0.1:9",
        "aud": "caseassure",
        "sub": "s-1",
        "nonce": "n",
        "exp": int(time.time()) + 300,
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256")


def test_an_id_token_for_us_from_our_issuer_is_accepted(signing_key):
    backend = SingleSignOnBackend()
    backend._configure()
    assert backend.verify_token(id_token(signing_key), nonce="n")["sub"] == "s-1"
    listed = id_token(signing_key, aud=["other", "caseassure"])
    assert backend.verify_token(listed, nonce="n")["sub"] == "s-1"


@pytest.mark.parametrize(
    "attack",
    [
        {"aud": "another-application"},
        {"iss": "https://evil.example"},
        {"nonce": "replayed"},
        {"exp": int(time.time()) - 60},
    ],
)
def test_an_id_token_for_another_client_issuer_or_sign_in_is_refused(signing_key, attack):
    backend = SingleSignOnBackend()
    backend._configure()
    with pytest.raises((SuspiciousOperation, jwt.ExpiredSignatureError)):
        backend.verify_token(id_token(signing_key, **attack), nonce="n")


def test_an_id_token_signed_by_someone_else_is_refused(signing_key):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    backend = SingleSignOnBackend()
    backend._configure()
    with pytest.raises((SuspiciousOperation, jwt.InvalidSignatureError)):
        backend.verify_token(id_token(stranger), nonce="n")


# --- The mapping table in Django admin ------------------------------------------------------
def test_the_admin_adds_a_mapping_with_an_event_and_refuses_one_that_gives_nothing(db):
    admin_user = User.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(admin_user)
    url = "/admin/audits/groupmapping/add/"
    empty = client.post(url, {"group": "g-nothing", "role": "", "label": ""})
    assert empty.status_code == 200
    assert "Give the group a role, a team, or both." in empty.text
    assert not GroupMapping.objects.exists()
    added = client.post(url, {"group": "g-qa", "role": "manager", "label": "QA leads"})
    assert added.status_code == 302
    mapping = GroupMapping.objects.get()
    event = Event.objects.get(verb="created", object_type="groupmapping")
    assert event.object_id == str(mapping.pk)
    assert event.after["role"] == "manager"
    listing = client.get("/admin/audits/groupmapping/")
    assert "QA leads" in listing.text
    assert "Manager" in listing.text
    duplicate = client.post(url, {"group": "g-qa", "role": "manager"})
    assert duplicate.status_code == 200
    assert GroupMapping.objects.count() == 1


def test_an_id_token_with_no_expiry_is_refused(signing_key):
    backend = SingleSignOnBackend()
    backend._configure()
    token = jwt.encode(
        {"iss": "http://127.0.0.1:9", "aud": "caseassure", "sub": "s", "nonce": "n"},
        signing_key,
        algorithm="RS256",
    )
    with pytest.raises(SuspiciousOperation, match="no expiry"):
        backend.verify_token(token, nonce="n")
