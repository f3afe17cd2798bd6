"""The shared vocabulary of Social Boost: networks, programme states, roles and input errors."""
