"""vocmine's Prefect flows (nightly, reprocess, report, quarantine retry, train, evaluate).

Import them as ``vocmine.flows.<name>``: a wheel installs this folder as ``vocmine/flows``, and in a checkout
``vocmine/flows/__init__.py`` points that package here. ``prefect.yaml`` names the files (``flows/nightly.py``).
"""
