"""Frozen entry point of the bundle: ``faik-desktop`` (the window) and ``faik`` (the CLI).

Kept outside the package so PyInstaller runs it as ``__main__``. One executable serves
both commands so the bundle carries one copy of the Python modules (a second PyInstaller
executable would embed its own ~45 MB archive of torch/transformers):

* ``faik-desktop [FILES] [--self-test]`` runs :func:`desktop.app.main`;
* ``faik-desktop --cli ARGS`` runs :func:`detector.cli.main` (the ``faik`` command); the
  bundle's ``faik`` script is ``exec faik-desktop --cli "$@"``.

The bundle leaves out research-only dependencies (scipy, for ``faik evaluate --channel``);
a command that needs one says so in one line instead of a traceback.
"""

import sys

CLI_FLAG = "--cli"
EXIT_FAILED = 1


def _missing_module_message(exc: ModuleNotFoundError) -> str:
    package = (exc.name or "?").split(".")[0]
    return (f"faik: error: this command needs the Python package '{package}', which the "
            "stand-alone app does not include; run it from a source install (pip install -e .)")


def run(argv: list[str]) -> int:
    """Dispatch on the first argument: ``--cli`` selects the command line, anything else the window."""
    if argv[:1] == [CLI_FLAG]:
        from detector.cli import main as cli_main

        try:
            return cli_main(argv[1:])
        except ModuleNotFoundError as exc:
            print(_missing_module_message(exc), file=sys.stderr)
            return EXIT_FAILED
    from desktop.app import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
