import os

# Quiet TensorFlow's start-up logging in the tests that import it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
