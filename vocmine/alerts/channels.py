"""Sending a message to a recipient through Prefect's notification blocks (and prefect-email for SMTP).

Slack, Telegram and any other webhook go through Prefect's ``CustomWebhookNotificationBlock`` (an HTTP POST with
the secrets kept in its ``SecretDict``); a saved block (``slack-webhook/…``, ``microsoft-teams-webhook/…``) is
loaded by name; e-mail goes out through prefect-email's ``EmailServerCredentials``. Every send either delivers
or raises: a failure is never silent (Apprise-based blocks run under ``raise_on_failure``).
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default as _default_policy

from vocmine.alerts.config import (
    AlertsConfig,
    BlockChannel,
    EmailChannel,
    SecretRef,
    SlackChannel,
    TelegramChannel,
    WebhookChannel,
)
from vocmine.alerts.message import Message
from vocmine.errors import UsageError

Send = Callable[[Message], None]
_SMTP_TYPE = {"ssl": "SSL", "starttls": "STARTTLS", "none": "INSECURE"}

_MAIL_POLICY = _default_policy.clone(max_line_length=998)


def sender(config: AlertsConfig, recipient: str) -> Send:
    """What delivers to ``recipient`` (``channel`` or ``channel:address``); secrets are read here, at send time."""
    name, _, address = recipient.partition(":")
    channel = config.channels[name]
    if isinstance(channel, EmailChannel):
        return _email(channel, [address] if address else channel.to)
    if isinstance(channel, BlockChannel):
        return _saved_block(channel.block)
    if isinstance(channel, SlackChannel):
        return _webhook(name, channel.url, {"text": "*{{subject}}*\n{{body}}"}, escape=_slack_escape)
    if isinstance(channel, TelegramChannel):
        return _webhook(
            name,
            f"{channel.api_url.rstrip('/')}/bot{{{{token}}}}/sendMessage",
            {"chat_id": channel.chat_id, "text": "{{subject}}\n\n{{body}}", "disable_web_page_preview": True},
            secrets={"token": channel.token.get()},
        )
    assert isinstance(channel, WebhookChannel)
    secrets, headers = {}, None
    if channel.token is not None:
        secrets["token"] = channel.token.get()
        headers = {"Authorization": "Bearer {{token}}"}
    return _webhook(
        name,
        channel.url,
        channel.json_template or {"subject": "{{subject}}", "text": "{{body}}"},
        secrets=secrets,
        headers=headers,
        timeout=channel.timeout,
    )


def _slack_escape(text: str) -> str:
    # Slack reads <…> as links and mentions: customers' words must stay words
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _webhook(
    name: str,
    url: str | SecretRef,
    json_data: dict,
    secrets: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
    escape: Callable[[str], str] = lambda s: s,
) -> Send:
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.types import SecretDict

    secrets = dict(secrets or {})
    if isinstance(url, SecretRef):  # a URL holding a token is itself a secret: keep it in the SecretDict
        secrets["url"] = url.get()
        url = "{{url}}"
    block = CustomWebhookNotificationBlock(
        name=f"vocmine-{name}",
        url=url,
        json_data=json_data,
        headers=headers,
        secrets=SecretDict(secrets),
        timeout=timeout,
    )

    def send(m: Message) -> None:
        import httpx

        try:
            block.notify(body=escape(m.body), subject=escape(m.subject))
        except httpx.HTTPStatusError as e:  # its text holds the URL, and the URL may hold a token
            raise RuntimeError(f"the {name} webhook answered HTTP {e.response.status_code}") from None
        except httpx.HTTPError as e:
            raise RuntimeError(
                _scrub(f"the {name} webhook failed: {type(e).__name__}: {e}", secrets)
            ) from None

    return send


def _scrub(text: str, secrets: dict[str, str]) -> str:
    for value in secrets.values():
        if value:
            text = text.replace(value, "***")
    return text


def _saved_block(slug: str) -> Send:
    from prefect.blocks.abstract import NotificationBlock
    from prefect.blocks.core import Block

    try:
        block = Block.load(slug)
    except ValueError as e:
        raise UsageError(
            f"Prefect block {slug!r} cannot be loaded: {e}", "`prefect block ls` lists them"
        ) from e
    if not isinstance(block, NotificationBlock):
        raise UsageError(
            f"Prefect block {slug!r} is a {type(block).__name__}, not a notification block",
            "for saved EmailServerCredentials use a channel of kind: email with block: NAME",
        )

    def send(m: Message) -> None:
        with block.raise_on_failure():
            block.notify(body=m.body, subject=m.subject)

    return send


def _email(channel: EmailChannel, to: list[str]) -> Send:
    from prefect_email import EmailServerCredentials

    if channel.block:
        credentials = EmailServerCredentials.load(channel.block)
    else:
        credentials = EmailServerCredentials(
            username=channel.username,
            password=channel.password.get() if channel.password else "",
            smtp_server=channel.host,
            smtp_type=_SMTP_TYPE[channel.security],
            smtp_port=channel.port,
            verify=channel.verify,
        )

    def send(m: Message) -> None:
        # plain text, UTF-8: Russian and English alike. Folded at the default 78 columns, Python's email package
        # drops the space where it splits a non-ASCII subject into two encoded words ("Курьер опоздал" arrived
        # as "Курьеропоздал"); folded at RFC 5322's 998 it keeps them
        mail = EmailMessage(policy=_MAIL_POLICY)
        mail["Subject"], mail["From"], mail["To"] = m.subject, channel.sender, ", ".join(to)
        mail.set_content(m.body)
        with credentials.get_server() as server:
            refused = server.send_message(mail)
        if refused:
            raise RuntimeError(f"the SMTP server refused {', '.join(refused)}")

    return send
