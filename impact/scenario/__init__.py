"""The bundled realistic scenario: Busan 2018-2021, generated deterministically from a seed."""
