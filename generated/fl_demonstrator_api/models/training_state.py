from enum import StrEnum


class TrainingState(StrEnum):
    C = "C"
    E = "E"
    I = "I"
    O = "O"
    S = "S"

    def __str__(self) -> str:
        return str(self.value)
