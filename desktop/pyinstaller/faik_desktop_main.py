"""Frozen entry point of the bundle: ``faik-desktop`` (the window) and ``faik`` (the CLI).

Kept outside the package so PyInstaller runs it as ``__main__``. One executable serves
both commands so the bundle carries one copy of the Python modules (a second PyInstaller
executable would embed its own ~60 MB archive of torch/transformers):

* ``faik-desktop [FILES] [--self-test]`` runs :func:`desktop.app.main`;
* ``faik-desktop --cli ARGS`` runs :func:`detector.cli.main` (the ``faik`` command); the
  bundle's ``faik`` script is ``exec faik-desktop --cli "$@"``.
"""

import sys

CLI_FLAG = "--cli"


def run(argv: list[str]) -> int:
    """Dispatch on the first argument: ``--cli`` selects the command line, anything else the window."""
    if argv[:1] == [CLI_FLAG]:
        from detector.cli import main as cli_main

        return cli_main(argv[1:])
    from desktop.app import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
