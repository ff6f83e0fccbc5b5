"""Alerts that reach people: the emerging rule and teams' thresholds, sent by e-mail, Slack, Telegram or webhook.

``config`` reads the YAML, ``rules`` finds what holds in the reported week, ``message`` puts it in words,
``channels`` sends through Prefect's notification blocks, ``deliver`` keeps the log (``alerts_sent``) so that no
alert goes out twice. The ``alerts`` flow (flows/alerts.py) runs them after the nightly report.
"""
