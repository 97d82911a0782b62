from impact.errors import *  # noqa: F403  (moving to impact.errors)
