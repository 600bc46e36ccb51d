"""/api/v1/surveys/: surveys with their questions and persona rules, results, and answers from integrators.

POST surveys/{id}/responses/ {"customer": id, "answers": {"<question_id>": value}} answers for a customer
(one choice: the choice text; several: a list; number and scale: a number; text: a string). Answering again
replaces the earlier answers. A bad answer is a 400 with the message under fields["q<question_id>"].
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input

from ..customers import selectors as crm_selectors
from ..models import PersonaRule, QuestionKind, Survey, SurveyQuestion, SurveyStatus
from . import answering, selectors, services


class RuleSerializer(serializers.ModelSerializer):
    tag = serializers.SlugRelatedField(slug_field="name", read_only=True)
    attribute = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = PersonaRule
        fields = ["id", "op", "value", "action", "tag", "attribute", "attribute_value"]


class QuestionSerializer(serializers.ModelSerializer):
    rules = RuleSerializer(many=True, read_only=True)

    class Meta:
        model = SurveyQuestion
        fields = ["id", "position", "kind", "text", "choices", "required", "rules"]


# Plain strings, not enums: drf-spectacular would otherwise name a second "status" enum (a schema warning).
STATUS_HELP = "draft | active | closed"


class SurveySerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)

    class Meta:
        model = Survey
        fields = ["id", "title", "intro", "is_onboarding", "status", "questions", "created_at", "updated_at"]


class SurveyListSerializer(serializers.ModelSerializer):
    question_count = serializers.IntegerField(read_only=True)
    answered_count = serializers.IntegerField(read_only=True)
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)

    class Meta:
        model = Survey
        fields = ["id", "title", "intro", "is_onboarding", "status", "question_count", "answered_count",
                  "created_at", "updated_at"]


class QuestionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=QuestionKind.values)
    text = serializers.CharField(max_length=300)
    choices = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)
    required = serializers.BooleanField(required=False, default=True)


class SurveyInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    intro = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    is_onboarding = serializers.BooleanField(required=False, default=False)
    questions = QuestionInputSerializer(many=True, required=False, default=list)


class SurveyPatchSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120, required=False)
    intro = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    is_onboarding = serializers.BooleanField(required=False)
    status = serializers.CharField(required=False, help_text="active starts taking answers; closed stops")

    def validate_status(self, value: str) -> str:
        if value not in (SurveyStatus.ACTIVE, SurveyStatus.CLOSED):
            raise serializers.ValidationError("Use active or closed.")
        return value


class ResponseInputSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1)
    answers = serializers.DictField(help_text='{"<question_id>": value}')


class ResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    survey = serializers.IntegerField(source="survey_id")
    customer = serializers.IntegerField(source="customer_id")
    completed_at = serializers.DateTimeField()
    answers = serializers.DictField()


class ChoiceShareSerializer(serializers.Serializer):
    value = serializers.JSONField()
    count = serializers.IntegerField()
    percent = serializers.FloatField()


class QuestionResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.CharField()
    respondents = serializers.IntegerField()
    choices = ChoiceShareSerializer(many=True, required=False)
    average = serializers.FloatField(required=False, allow_null=True)
    minimum = serializers.FloatField(required=False, allow_null=True)
    maximum = serializers.FloatField(required=False, allow_null=True)
    distribution = ChoiceShareSerializer(many=True, required=False)
    latest = serializers.ListField(child=serializers.DictField(), required=False)


class ResultsSerializer(serializers.Serializer):
    survey = serializers.IntegerField(source="survey.pk")
    answered = serializers.IntegerField()
    skipped = serializers.IntegerField()
    questions = QuestionResultSerializer(many=True)


def _results_data(survey: Survey) -> dict:
    results = selectors.survey_results(survey=survey)
    questions = []
    for row in results["questions"]:
        row = {k: v for k, v in row.items() if k != "question"}
        if "latest" in row:
            row["latest"] = [{"text": t["text"], "customer": t["customer_id"], "created_at": t["created_at"]}
                             for t in row["latest"]]
        questions.append(row)
    return {"survey": survey.pk, "answered": results["answered"], "skipped": results["skipped"],
            "questions": questions}


class SurveyListApi(BrandAPIView):
    @extend_schema(responses=SurveyListSerializer(many=True))
    def get(self, request):
        return self.paginate(selectors.survey_list(brand=self.brand), SurveyListSerializer)

    @extend_schema(request=SurveyInputSerializer, responses={201: SurveySerializer})
    def post(self, request):
        """A draft survey, with its questions when given; activate it with PATCH {"status": "active"}."""
        data = parse_input(SurveyInputSerializer, request.data)
        survey = services.survey_create_with_questions(brand=self.brand, actor=self.actor, **data)
        survey = selectors.survey_get(brand=self.brand, survey_id=survey.pk)
        return Response(SurveySerializer(survey).data, status=status.HTTP_201_CREATED)


class SurveyDetailApi(BrandAPIView):
    @extend_schema(responses=SurveySerializer)
    def get(self, request, survey_id: int):
        return Response(SurveySerializer(selectors.survey_get(brand=self.brand, survey_id=survey_id)).data)

    @extend_schema(request=SurveyPatchSerializer, responses=SurveySerializer)
    def patch(self, request, survey_id: int):
        survey = selectors.survey_get(brand=self.brand, survey_id=survey_id)
        data = parse_input(SurveyPatchSerializer, request.data)
        survey = services.survey_change(survey=survey, actor=self.actor, **data)
        return Response(SurveySerializer(selectors.survey_get(brand=self.brand, survey_id=survey.pk)).data)


class SurveyResultsApi(BrandAPIView):
    @extend_schema(responses=ResultsSerializer)
    def get(self, request, survey_id: int):
        """Answered and skipped counts; per question the choice shares, number statistics or latest texts."""
        survey = selectors.survey_get(brand=self.brand, survey_id=survey_id)
        return Response(_results_data(survey))


class SurveyResponsesApi(BrandAPIView):
    @extend_schema(request=ResponseInputSerializer, responses={201: ResponseSerializer})
    def post(self, request, survey_id: int):
        survey = selectors.survey_get(brand=self.brand, survey_id=survey_id)
        data = parse_input(ResponseInputSerializer, request.data)
        customer = crm_selectors.customer_get(brand=self.brand, customer_id=data["customer"], actor=self.actor)
        response = answering.survey_answer_submit(survey=survey, customer=customer, answers=data["answers"],
                                                  actor=self.actor)
        body = {"id": response.pk, "survey_id": survey.pk, "customer_id": customer.pk,
                "completed_at": response.completed_at,
                "answers": {str(k): v for k, v in selectors.response_answers(response=response).items()}}
        return Response(ResponseSerializer(body).data, status=status.HTTP_201_CREATED)
