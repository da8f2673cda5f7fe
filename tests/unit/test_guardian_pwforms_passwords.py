"""Passwords in the forms people and tools write them (issue 20): credential files,
command lines, SQL, HTTP clients' auth pairs, connection strings, config names and
prose; each category with seeded variants in several contexts and benign look-alikes
that stay allowed. Every password is built at run time."""

from __future__ import annotations

import asyncio
import random
import string

import pytest

from orchestration_kernel.guardian import GuardContext, Guardian, SecretDetector

_POOL = string.ascii_letters + string.digits


def _password(seed: str, symbols: str = "!#%^*") -> str:
    """A password with lower and upper case, a digit and a symbol (built at run time)."""
    rng = random.Random(seed)
    body = [rng.choice(_POOL) for _ in range(11)]
    return (
        "".join(body[:3])
        + rng.choice(string.ascii_uppercase)
        + rng.choice(string.digits)
        + rng.choice(symbols)
        + "".join(body[3:])
        + rng.choice(string.ascii_lowercase)
    )


def _alnum(seed: str) -> str:
    """A password of letters and digits only (what generators and .netrc files hold)."""
    rng = random.Random(seed)
    return "".join(rng.choice(_POOL) for _ in range(12)) + rng.choice("0123456789") + "Qz"


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.entity, text[f.start : f.end]) for f in SecretDetector().find(text)]


# Each template holds {p}: the password. Several contexts per category.
_SEEDED: dict[str, list[str]] = {
    "netrc": [
        "machine api.example.net login deploy password {p}",
        "machine git.example.org\n  login octo\n  password {p}\n",
        "echo 'machine ftp.example.net login bob password {p}' >> ~/.netrc",
    ],
    "pgpass": [
        "localhost:5432:appdb:postgres:{p}",
        "db.internal.example:*:*:app_user:{p}",
        "echo '*:5432:*:replicator:{p}' > ~/.pgpass",
    ],
    "mysql": [
        "mysql -u root -p{p} -h db.local shop",
        "mysqldump -uroot -p'{p}' shop > shop.sql",
        "mariadb --host=db -u app -p{p} < init.sql",
    ],
    "sshpass": ["sshpass -p '{p}' ssh deploy@host", "sshpass -p {p} scp a.tgz root@host:/tmp"],
    "registry login": [
        "docker login -u ci -p {p} registry.example.io",
        "podman login registry.example.io -u bot -p '{p}'",
        "helm registry login r.example.io -u bot -p {p}",
        "mongosh --host db -u admin -p {p} --authenticationDatabase admin",
    ],
    "sql": [
        "CREATE USER 'app'@'%' IDENTIFIED BY '{p}';",
        "ALTER USER root@localhost IDENTIFIED WITH mysql_native_password BY '{p}';",
        'GRANT ALL ON db.* TO "u"@"localhost" IDENTIFIED BY "{p}";',
        "CREATE USER reporter WITH PASSWORD '{p}';",
        "ALTER ROLE app_rw WITH LOGIN PASSWORD '{p}';",
        "CREATE LOGIN web WITH PASSWORD = '{p}';",
        "SET PASSWORD FOR 'app'@'%' = '{p}';",
    ],
    "http auth pair": [
        'r = requests.get(url, auth=("admin", "{p}"))',
        "session.auth = ('svc', '{p}')",
        'HTTPBasicAuth("alice", "{p}")',
        "client = httpx.Client(auth=httpx.DigestAuth('bob', '{p}'))",
        "aiohttp.BasicAuth(login='carol', password='{p}')",
    ],
    "config names": [
        "PASS={p}",
        "export PASS='{p}'",
        "passcode: {p}",
        "psk={p}",
        'network={{\n  ssid="Home"\n  psk="{p}"\n}}',
    ],
    "prose": [
        "the password is {p}",
        "My pw is {p} for now",
        "Her password was {p}, please rotate it.",
        "The passcode for the door is {p}.",
        "Use password {p} to log in",
    ],
}


@pytest.mark.parametrize(
    ("category", "template"), [(c, t) for c, ts in _SEEDED.items() for t in ts]
)
def test_seeded_passwords_are_found_exactly(category: str, template: str) -> None:
    for make in (_password, _alnum):
        secret = make(f"{category}:{template}")
        if category == "prose" and template.startswith("Use password") and make is _alnum:
            continue  # with no verb, only a value of three kinds (see password_like)
        text = template.format(p=secret)
        assert ("PASSWORD", secret) in _found(text), text
        # The finding covers the password only.
        assert all(value == secret for _, value in _found(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "password: ********",
        "password is required",
        "Please reset your password.",
        "password: <your password>",
        "password=${DB_PASSWORD}",
        "password: {{ password }}",
        "password = os.environ['PASSWORD']",
        "password=",
        "password=None",
        "password: string",
        "echo $PW | docker login -u me --password-stdin ghcr.io",
        "docker login --password-stdin",
        "mysql -u root -p shop",
        "mysql -u root -p",
        "mysql -h db -P 3306 -u root -p",
        "sshpass -p $SSHPASS ssh host",
        "sshpass -f ~/.pw ssh host",
        "docker login -u me -p $TOKEN",
        "docker run -u 1000 -p 8080:80 nginx",
        "CREATE USER app IDENTIFIED BY '<password>';",
        "The suspect was identified by witnesses.",
        "IDENTIFIED BY 'changeme'",
        "auth=(user, password)",
        "HTTPBasicAuth(username, password)",
        "auth=('guest', 'guest')",
        "amqp://guest:guest@localhost:5672/",
        "the password is wrong",
        "The password is stored in the vault.",
        "The password is case-sensitive.",
        "My password was Incorrect",
        "the password is 8 characters long",
        "password hashing with bcrypt and PBKDF2-SHA256",
        "passcode is sent by SMS",
        "season pass: 2024-25",
        "PASS: tests/test_api.py::test_login",
        "PWD=/home/user/project",
        "psk=",
        "psk=${WIFI_PSK}",
        "localhost:5432:mydb:postgres:*",
        "localhost:5432:postgres:postgres:postgres",
        "host:port:database:username:password",
        "at 10:30:15:00:01 the job ran",
        "log 10:42:07:INFO:Restarting the worker",
        "fe80:0:0:0:202:b3ff:fe1e:8329",
        "ip 10.0.0.1:8080:tcp:any:allow",
        "machine host login user password <password>",
    ],
)
def test_look_alikes_are_allowed(text: str) -> None:
    assert _found(text) == [], text


def test_the_verdict_redacts_the_password_and_names_its_kind_only() -> None:
    secret = _password("verdict")
    text = f"CREATE USER reporter WITH PASSWORD '{secret}'; then mysql -ureporter -p{secret}"
    verdict = asyncio.run(Guardian().check_input(text, GuardContext(model="m")))
    assert verdict.action == "block"
    assert secret not in verdict.text
    assert verdict.text == (
        "CREATE USER reporter WITH PASSWORD '<PASSWORD>'; then mysql -ureporter -p<PASSWORD>"
    )
    reasons = [r for d in verdict.decisions for r in d.reasons]
    assert "credential found: password" in reasons
    assert not any(secret in r for r in reasons)


def test_many_forms_in_a_long_text_find_only_the_password() -> None:
    # Hostile repetition of every literal the forms start from (each place is matched
    # with bounded repeats; the hostile-input suite times the policies): nothing in the
    # repetition is a password, the one at the end is.
    secret = _password("hostile")
    text = "login -p " * 2000 + "mysql " * 2000 + "password is " * 2000 + ":5432:" * 2000
    text += f" the password is {secret}"
    assert _found(text) == [("PASSWORD", secret)]


def test_a_password_found_by_two_forms_is_one_finding() -> None:
    secret = _password("twice")
    assert _found(f"--password {secret}") == [("PASSWORD", secret)]


def test_psk_counts_as_a_name_of_its_own_not_inside_a_blob() -> None:
    secret = _password("psk")
    assert _found(f"wpa_psk={secret}") == [("PASSWORD", secret)]
    assert _found(f"oJD1Psk:{secret}") == []


def test_a_flag_that_mentions_psk_is_not_a_password() -> None:
    assert _found('"Cryptography_HAS_PSK": cryptography_has_psk,') == []
    secret = _password("wifi")
    assert _found(f"wifi.psk: {secret}") == [("PASSWORD", secret)]
