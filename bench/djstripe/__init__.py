"""A minimal Django project serving dj-stripe's webhook view, for `python -m bench djstripe`.

It runs only in the bench's own virtualenv (bench/.djstripe-venv, from requirements.txt here), as
`gunicorn bench.djstripe.wsgi` with the repository root on sys.path. Configuration comes from the
environment the bench sets (see settings.py); nothing here is imported by the service.
"""
