"""The verdict on one parameter's update (no NumPy here: the parent process reads them too)."""

OK = "ok"                          # the update is a step along minus the gradient
WRONG_SIGN = "wrong sign"          # exactly uphill: minus the update would be ok
WRONG_GRADIENT = "wrong gradient"  # another direction, another shape, or not proportional
NO_UPDATE = "no update"            # the parameter does not move though its gradient is not zero
