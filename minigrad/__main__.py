"""``python -m minigrad doctor``: versions, CUDA usability and kernels (see minigrad.doctor)."""
import argparse

from .doctor import doctor


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minigrad")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="print versions, whether CUDA is usable and why not, "
                                  "and the kernels available per device")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        doctor()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
