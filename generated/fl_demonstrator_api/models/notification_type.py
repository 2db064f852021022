from enum import StrEnum


class NotificationType(StrEnum):
    CLIENT_REMOVED = "CLIENT_REMOVED"
    MODEL_TEST_ROUND = "MODEL_TEST_ROUND"
    SWAG_ROUND_START = "SWAG_ROUND_START"
    TRAINING_FINISHED = "TRAINING_FINISHED"
    TRAINING_START = "TRAINING_START"
    UPDATE_ROUND_START = "UPDATE_ROUND_START"

    def __str__(self) -> str:
        return str(self.value)
