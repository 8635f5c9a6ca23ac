"""The demo and its test tooling, apart from the composition root: the simulated fleet's import (fleet), the live
demo (runner, inputs), the check of its alarms (scoring) and the subprocess harness tests and benches drive."""
