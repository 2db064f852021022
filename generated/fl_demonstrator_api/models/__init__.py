"""Contains all the data models used in inputs/outputs"""

from .aggregation_method import AggregationMethod
from .client_list import ClientList
from .client_removed_notification import ClientRemovedNotification
from .detail import Detail
from .error_detail import ErrorDetail
from .field_errors import FieldErrors
from .field_errors_additional_property_type_1 import FieldErrorsAdditionalPropertyType1
from .get_schema_format import GetSchemaFormat
from .global_model import GlobalModel
from .global_model_metadata import GlobalModelMetadata
from .group import Group
from .group_patch import GroupPatch
from .group_request import GroupRequest
from .inference_request import InferenceRequest
from .inference_request_return_format import InferenceRequestReturnFormat
from .inference_result import InferenceResult
from .inference_result_uncertainty import InferenceResultUncertainty
from .inference_upload import InferenceUpload
from .inference_upload_return_format import InferenceUploadReturnFormat
from .local_model import LocalModel
from .local_model_metadata import LocalModelMetadata
from .local_model_upload import LocalModelUpload
from .mean_model import MeanModel
from .mean_model_create import MeanModelCreate
from .metric import Metric
from .metrics_form import MetricsForm
from .metrics_upload import MetricsUpload
from .model_created import ModelCreated
from .model_notification_body import ModelNotificationBody
from .model_stats import ModelStats
from .model_stats_summary_list_item import ModelStatsSummaryListItem
from .model_test_round_notification import ModelTestRoundNotification
from .model_type import ModelType
from .model_upload import ModelUpload
from .notification_answer import NotificationAnswer
from .notification_type import NotificationType
from .open_api_document import OpenAPIDocument
from .preprocessing_upload import PreprocessingUpload
from .round_notification_body import RoundNotificationBody
from .server_error_body import ServerErrorBody
from .swag_model import SwagModel
from .swag_round_start_notification import SwagRoundStartNotification
from .swag_upload import SwagUpload
from .training import Training
from .training_create import TrainingCreate
from .training_create_options import TrainingCreateOptions
from .training_created import TrainingCreated
from .training_finished_notification import TrainingFinishedNotification
from .training_options import TrainingOptions
from .training_start_notification import TrainingStartNotification
from .training_state import TrainingState
from .training_with_rounds import TrainingWithRounds
from .uncertainty_method import UncertaintyMethod
from .update_round_start_notification import UpdateRoundStartNotification
from .user import User
from .user_create import UserCreate

__all__ = (
    "AggregationMethod",
    "ClientList",
    "ClientRemovedNotification",
    "Detail",
    "ErrorDetail",
    "FieldErrors",
    "FieldErrorsAdditionalPropertyType1",
    "GetSchemaFormat",
    "GlobalModel",
    "GlobalModelMetadata",
    "Group",
    "GroupPatch",
    "GroupRequest",
    "InferenceRequest",
    "InferenceRequestReturnFormat",
    "InferenceResult",
    "InferenceResultUncertainty",
    "InferenceUpload",
    "InferenceUploadReturnFormat",
    "LocalModel",
    "LocalModelMetadata",
    "LocalModelUpload",
    "MeanModel",
    "MeanModelCreate",
    "Metric",
    "MetricsForm",
    "MetricsUpload",
    "ModelCreated",
    "ModelNotificationBody",
    "ModelStats",
    "ModelStatsSummaryListItem",
    "ModelTestRoundNotification",
    "ModelType",
    "ModelUpload",
    "NotificationAnswer",
    "NotificationType",
    "OpenAPIDocument",
    "PreprocessingUpload",
    "RoundNotificationBody",
    "ServerErrorBody",
    "SwagModel",
    "SwagRoundStartNotification",
    "SwagUpload",
    "Training",
    "TrainingCreate",
    "TrainingCreateOptions",
    "TrainingCreated",
    "TrainingFinishedNotification",
    "TrainingOptions",
    "TrainingStartNotification",
    "TrainingState",
    "TrainingWithRounds",
    "UncertaintyMethod",
    "UpdateRoundStartNotification",
    "User",
    "UserCreate",
)
