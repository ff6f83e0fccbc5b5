"""The alerts YAML: rules (the emerging rule and teams' thresholds), channels and recipients, validated.

Secrets never sit in the file: a password, token or webhook URL with a token is ``{env: NAME}`` (an environment
variable) or ``{secret: NAME}`` (a Prefect ``Secret`` block), read only when a message is sent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vocmine.errors import UsageError, describe_validation

HINT = 'see README "Alerts" for the fields'
INLINE = "secrets never go in the alerts file"
METRICS = ("complaints", "share_negative", "nps", "csat", "ces")
EMERGING = "emerging"  # the name findings of the emerging rule carry (no threshold rule may take it)
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SecretRef(_Strict):
    """Where a secret is: an environment variable or a Prefect Secret block (exactly one)."""

    env: str | None = None
    secret: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _not_inline(cls, v):
        if isinstance(v, str):
            raise ValueError(f"{INLINE}: write {{env: VARIABLE}} or {{secret: PREFECT_SECRET_BLOCK}}")
        return v

    @model_validator(mode="after")
    def _one(self) -> SecretRef:
        if (self.env is None) == (self.secret is None):
            raise ValueError(
                "give exactly one of env (an environment variable) or secret (a Prefect Secret block)"
            )
        return self

    def get(self) -> str:
        if self.env is not None:
            value = os.environ.get(self.env)
            if not value:
                raise UsageError(f"environment variable {self.env} is not set", "export it before the run")
            return value
        from prefect.blocks.system import Secret

        try:
            value = Secret.load(self.secret).get()
        except ValueError as e:
            raise UsageError(f"Prefect Secret block {self.secret!r} cannot be loaded: {e}") from e
        return str(value)

    def describe(self) -> str:
        return f"${self.env}" if self.env else f"secret block {self.secret!r}"


class EmailChannel(_Strict):
    """SMTP, through prefect-email's ``EmailServerCredentials``: a saved block, or host and port here."""

    kind: Literal["email"]
    block: str | None = None  # name of a saved EmailServerCredentials block (then no host/port/login here)
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "starttls"
    verify: bool = True  # check the server's TLS certificate
    username: str | None = None
    password: SecretRef | None = None
    sender: str
    to: list[str] = Field(default_factory=list)  # for a recipient that names the channel without an address

    @model_validator(mode="after")
    def _server(self) -> EmailChannel:
        if (self.block is None) == (self.host is None):
            raise ValueError("give either block (a saved EmailServerCredentials block) or host")
        if self.block and (self.username or self.password or self.port):
            raise ValueError(
                "with block, the server and login come from the block: leave username/password/port out"
            )
        for a in [self.sender, *self.to]:
            if not _ADDRESS.fullmatch(a):
                raise ValueError(f"{a!r} is not an e-mail address")
        return self


class SlackChannel(_Strict):
    """A Slack incoming webhook (its URL holds the token, so it is a secret)."""

    kind: Literal["slack"]
    url: SecretRef


class TelegramChannel(_Strict):
    """A Telegram bot's sendMessage to one chat."""

    kind: Literal["telegram"]
    token: SecretRef
    chat_id: str
    api_url: str = "https://api.telegram.org"  # a Bot API server of your own, or a proxy

    @field_validator("chat_id", mode="before")
    @classmethod
    def _text(cls, v):
        return str(v) if isinstance(v, int) else v


class WebhookChannel(_Strict):
    """Any HTTP endpoint: JSON ``{"subject": …, "text": …}`` by default, or your own ``json`` template, in which
    ``{{subject}}`` and ``{{body}}`` are replaced (Prefect's CustomWebhookNotificationBlock)."""

    kind: Literal["webhook"]
    url: str | SecretRef
    json_template: dict | None = Field(default=None, alias="json")
    token: SecretRef | None = None  # sent as ``Authorization: Bearer <token>``
    timeout: float = Field(default=10, gt=0)


class BlockChannel(_Strict):
    """A saved Prefect notification block (``slack-webhook/voc-alerts``, ``microsoft-teams-webhook/cx``, …)."""

    kind: Literal["block"]
    block: str

    @field_validator("block")
    @classmethod
    def _slug(cls, v: str) -> str:
        if "/" not in v:
            raise ValueError("name the block as 'block-type/block-name', e.g. slack-webhook/voc-alerts")
        return v


Channel = Annotated[
    EmailChannel | SlackChannel | TelegramChannel | WebhookChannel | BlockChannel, Field(discriminator="kind")
]


class ThresholdRule(_Strict):
    """A team's threshold on one touchpoint (or every one, ``*``), checked for the reported week."""

    name: str = Field(pattern=r"^[A-Za-z0-9][\w.-]*$")
    touchpoint: str = "*"
    metric: Literal["complaints", "share_negative", "nps", "csat", "ces"]
    comparison: Literal[">", ">=", "<", "<="] = ">="
    threshold: float
    # below this many mentions (share_negative) or answers (nps, csat, ces) in the week the figure is noise
    min_answers: int = Field(default=5, ge=1)
    recipients: list[str] = Field(min_length=1)

    def holds(self, value: float) -> bool:
        return {
            ">": value > self.threshold,
            ">=": value >= self.threshold,
            "<": value < self.threshold,
            "<=": value <= self.threshold,
        }[self.comparison]


class EmergingRule(_Strict):
    """Who hears of a touchpoint the report flags as emerging (docs/report.md, "Emerging"), and of an emerging
    new theme: complaints that fit no touchpoint, clustered (the report's "New themes")."""

    touchpoint: str = "*"
    themes: bool | None = None  # default: yes when the rule is for every touchpoint ("*")
    recipients: list[str] = Field(min_length=1)

    @property
    def with_themes(self) -> bool:
        return self.touchpoint == "*" if self.themes is None else self.themes


class AlertsConfig(_Strict):
    report_url: str | None = None  # the link in every message (default: the nightly's report.html file)
    lang: Literal["en", "ru"] = "en"
    max_attempts: int = Field(default=5, ge=1)  # a failed message is retried by the next runs this many times
    channels: dict[str, Channel] = Field(min_length=1)
    emerging: EmergingRule | None = None
    rules: list[ThresholdRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> AlertsConfig:
        names = [r.name for r in self.rules]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"rule names must be unique: {', '.join(dup)}")
        if EMERGING in names:
            raise ValueError(f"{EMERGING!r} is the emerging rule's name: give the threshold rule another")
        if not self.rules and self.emerging is None:
            raise ValueError("nothing to alert on: give emerging, rules or both")
        for where, recipients in self._recipient_lists():
            for r in recipients:
                problem = self._bad_recipient(r)
                if problem:
                    raise ValueError(f"{where}: recipient {r!r}: {problem}")
        return self

    def _recipient_lists(self):
        if self.emerging:
            yield EMERGING, self.emerging.recipients
        for rule in self.rules:
            yield f"rule {rule.name}", rule.recipients

    def _bad_recipient(self, recipient: str) -> str | None:
        name, _, address = recipient.partition(":")
        channel = self.channels.get(name)
        if channel is None:
            return f"no channel {name!r} (channels: {', '.join(self.channels)})"
        if isinstance(channel, EmailChannel):
            if not address and not channel.to:
                return f"say to whom: '{name}:someone@example.com' (or give the channel a 'to' list)"
            if address and not _ADDRESS.fullmatch(address):
                return f"{address!r} is not an e-mail address"
        elif address:
            return f"channel {name!r} is {channel.kind}: it takes no address"
        return None

    def rules_for(self, touchpoint: str) -> list[ThresholdRule]:
        return [r for r in self.rules if r.touchpoint in ("*", touchpoint)]


def load_alerts(path: str | Path) -> AlertsConfig:
    """Read and validate an alerts YAML; every problem is one :class:`UsageError` line naming the field."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise UsageError(f"alerts file {path} {what}", "give the YAML file's path with --config")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError) as e:
        raise UsageError(f"alerts file {path} cannot be read: {e}") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise UsageError(f"alerts file {path} is not valid YAML{where}", HINT) from e
    try:
        return AlertsConfig.model_validate(raw)
    except ValidationError as e:
        raise UsageError(f"alerts file {path}: {_describe(e)}", HINT) from None  # the cause shows the input


def _describe(e: ValidationError) -> str:
    """Pydantic's errors in one line, but never the value of a secret someone pasted into the file."""
    if not any(INLINE in err["msg"] for err in e.errors()):
        return describe_validation(e, "the file")
    return "; ".join(
        "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        + f": {err['msg']}"
        for err in e.errors(include_url=False)
        if INLINE in err["msg"]
    )
