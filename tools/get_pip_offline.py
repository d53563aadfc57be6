"""Offline stand-in for the get-pip script that ansible-test downloads.

ansible-test bootstraps pip into each venv it creates by downloading a get-pip script from
the internet. On air-gapped machines that fails, so `make` installs this file into
ansible-test's cache under the name it looks for. It bootstraps pip from the interpreter's
bundled wheel (ensurepip), then installs the requested pip version through the normal
package index configuration (pip.conf, proxies, mirrors).
"""

import subprocess
import sys


def main():
    # ensurepip must run in a child process: in-process it hides the system pip.conf.
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    main()
