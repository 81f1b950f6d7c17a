"""The ФФД 1.2 requisites (tags): binary kind, maximum length and FNS JSON name (reference §1, §2).

`TAGS` holds every tag of the document tables in §2 plus 1000. Where the sources disagree on a
maximum length, `max_length` is the limit we write (the "Use" column of §1.4) and
`DECODE_MAX_LENGTH` the larger one we still accept when reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from openkassa.fiscal import unconfirmed


class Kind(Enum):
    """How a requisite's value is written (reference §1.2)."""

    BYTE = "byte"
    BOOL = "bool"
    U16 = "u16"
    U32 = "u32"
    VLN = "vln"  # unsigned little-endian integer, minimal length
    FVLN = "fvln"  # one byte of decimals, then the mantissa as VLN
    TIME = "time"  # UnixTime of the local wall time, U32
    STRING = "string"  # CP866, at most max_length bytes
    FIXED_STRING = "fixed_string"  # CP866, exactly max_length bytes, right-padded with spaces
    BYTES = "bytes"
    STLV = "stlv"  # nested TLV list
    MASK8 = "mask8"  # bit set in a byte
    MASK32 = "mask32"  # bit set in a U32


@dataclass(frozen=True)
class TagSpec:
    """One requisite: its number, Russian name, kind, maximum length in bytes and FNS JSON name."""

    number: int
    name: str
    kind: Kind
    max_length: int | None  # bytes of the value; for FIXED_STRING the exact length
    json_name: str | None  # None: not sent in the FNS JSON (printed only, or unknown name)


_K = Kind
_ROWS: list[tuple[int, str, Kind, int | None, str | None]] = [
    # §2.1 registration report (form 1) and re-registration (form 11)
    (1000, "Наименование документа", _K.STRING, 256, None),
    (1209, "Номер версии ФФД", _K.BYTE, 1, "fiscalDocumentFormatVer"),
    (1048, "Наименование пользователя", _K.STRING, 256, "user"),
    (1018, "ИНН пользователя", _K.FIXED_STRING, 12, "userInn"),
    (1062, "Системы налогообложения", _K.MASK8, 1, "taxationType"),
    (1012, "Дата, время", _K.TIME, 4, "dateTime"),
    (1037, "Регистрационный номер ККТ", _K.FIXED_STRING, 20, "kktRegId"),
    (1002, "Признак автономного режима", _K.BOOL, 1, "offlineMode"),
    (1056, "Признак шифрования", _K.BOOL, 1, "encryptionSign"),
    (1001, "Признак автоматического режима", _K.BOOL, 1, "autoMode"),
    (1036, "Номер автомата", _K.STRING, 20, "machineNumber"),
    (1290, "Признаки условий применения ККТ", _K.MASK32, 4, "usageConditionSigns"),
    (1013, "Заводской номер ККТ", _K.STRING, 20, "kktNumber"),
    (1021, "Кассир", _K.STRING, 64, "operator"),
    (1203, "ИНН кассира", _K.FIXED_STRING, 12, "operatorInn"),
    (1009, "Адрес расчетов", _K.STRING, 256, "retailPlaceAddress"),
    (1187, "Место расчетов", _K.STRING, 256, "retailPlace"),
    (1060, "Адрес сайта ФНС", _K.STRING, 256, "fnsUrl"),
    (1117, "Адрес электронной почты отправителя чека", _K.STRING, 64, "sellerAddress"),
    (1017, "ИНН ОФД", _K.FIXED_STRING, 12, "ofdInn"),
    (1046, "Наименование ОФД", _K.STRING, 256, "ofdName"),
    (1188, "Версия ККТ", _K.STRING, 8, "kktVersion"),
    (1189, "Версия ФФД ККТ", _K.BYTE, 1, "documentKktVersion"),
    (1190, "Версия ФФД ФН", _K.BYTE, 1, "documentFdVersion"),
    (1213, "Ресурс ключей ФП", _K.U16, 2, "fdKeyResource"),
    (1274, "Дополнительный реквизит ОР", _K.STRING, 32, "additionalPropsFRC"),
    (1275, "Дополнительные данные ОР", _K.BYTES, 32, "additionalDataFRC"),
    (1040, "Номер ФД", _K.U32, 4, "fiscalDocumentNumber"),
    (1041, "Номер ФН", _K.FIXED_STRING, 16, "fiscalDriveNumber"),
    (1077, "ФПД", _K.BYTES, 6, "fiscalSign"),
    (1205, "Коды причин изменения сведений о ККТ", _K.MASK32, 4, "correctionKktReasonCode"),
    (1157, "Счетчики итогов ФН", _K.STLV, 708, "fiscalDriveSumReports"),
    # §2.2 shift open report (form 2)
    (1038, "Номер смены", _K.U32, 4, "shiftNumber"),
    (1053, "Признак превышения времени ожидания ответа ОФД", _K.BOOL, 1, "ofdResponseTimeoutSign"),
    (1051, "Признак необходимости срочной замены ФН", _K.BOOL, 1, "fiscalDriveReplaceRequiredSign"),
    (1052, "Признак заполнения памяти ФН", _K.BOOL, 1, "fiscalDriveMemoryExceededSign"),
    (1050, "Признак исчерпания ресурса ФН", _K.BOOL, 1, "fiscalDriveExhaustionSign"),
    (1206, "Сообщение оператора", _K.MASK8, 1, "operatorMessage"),
    (1276, "Дополнительный реквизит ООС", _K.STRING, 32, "additionalPropsOS"),
    (1277, "Дополнительные данные ООС", _K.BYTES, 32, "additionalDataOS"),
    # §2.3 receipt (forms 3, 4) and §2.8 correction receipt (forms 31, 41)
    (1256, "Сведения о покупателе (клиенте)", _K.STLV, 1024, "buyerInformation"),
    (1042, "Номер чека за смену", _K.U32, 4, "requestNumber"),
    (1054, "Признак расчета", _K.BYTE, 1, "operationType"),
    (1055, "Применяемая система налогообложения", _K.MASK8, 1, "appliedTaxationType"),
    (1008, "Телефон или электронный адрес покупателя", _K.STRING, 64, "buyerPhoneOrAddress"),
    (1059, "Предмет расчета", _K.STLV, 1024, "items"),
    (1020, "Сумма расчета, указанного в чеке (БСО)", _K.VLN, 6, "totalSum"),
    (1031, "Сумма по чеку (БСО) наличными", _K.VLN, 6, "cashTotalSum"),
    (1081, "Сумма по чеку (БСО) безналичными", _K.VLN, 6, "ecashTotalSum"),
    (1215, "Сумма по чеку (БСО) предоплатой (зачетом аванса и (или) предыдущих платежей)", _K.VLN, 6,
     "prepaidSum"),
    (1216, "Сумма по чеку (БСО) постоплатой (в кредит)", _K.VLN, 6, "creditSum"),
    (1217, "Сумма по чеку (БСО) встречным предоставлением", _K.VLN, 6, "provisionSum"),
    (1102, "Сумма НДС чека по ставке 20%", _K.VLN, 6, "nds18"),
    (1103, "Сумма НДС чека по ставке 10%", _K.VLN, 6, "nds10"),
    (1104, "Сумма расчета по чеку с НДС по ставке 0%", _K.VLN, 6, "nds0"),
    (1105, "Сумма расчета по чеку без НДС", _K.VLN, 6, "ndsNo"),
    (1106, "Сумма НДС чека по расч. ставке 20/120", _K.VLN, 6, "nds18118"),
    (1107, "Сумма НДС чека по расч. ставке 10/110", _K.VLN, 6, "nds10110"),
    (1108, "Признак ККТ для расчетов только в Интернет", _K.BOOL, 1, "internetSign"),
    (2107, "Результаты проверки маркированных товаров", _K.BOOL, 1, "checkingLabeledProdResult"),
    (1270, "Операционный реквизит чека", _K.STLV, 144, "operationalDetails"),
    (1192, "Дополнительный реквизит чека (БСО)", _K.STRING, 16, "propertiesData"),
    (1084, "Дополнительный реквизит пользователя", _K.STLV, 320, "properties"),
    (1261, "Отраслевой реквизит чека", _K.STLV, unconfirmed.MAX_LENGTH_1260, "industryReceiptDetails"),
    (1196, "QR-код", _K.STRING, None, None),
    (1173, "Тип коррекции", _K.BYTE, 1, "correctionType"),
    (1174, "Основание для коррекции", _K.STLV, 292, "correctionBase"),
    (1178, "Дата совершения корректируемого расчета", _K.TIME, 4, "correctionDocumentDate"),
    (1179, "Номер предписания налогового органа", _K.STRING, 32, "correctionDocumentNumber"),
    # §2.4 item 1059
    (1214, "Признак способа расчета", _K.BYTE, 1, "paymentType"),
    (1212, "Признак предмета расчета", _K.BYTE, 1, "productType"),
    (1222, "Признак агента по предмету расчета", _K.MASK8, 1, "paymentAgentByProductType"),
    (1223, "Данные агента", _K.STLV, 512, "paymentAgentData"),
    (1224, "Данные поставщика", _K.STLV, 512, "providerData"),
    (1226, "ИНН поставщика", _K.FIXED_STRING, 12, "providerInn"),
    (1030, "Наименование предмета расчета", _K.STRING, 128, "name"),
    (2108, "Мера количества предмета расчета", _K.BYTE, 1, "itemsQuantityMeasure"),
    (1163, "Код товара", _K.STLV, 256, "productCodeNew"),
    (2115, "Контрольный код КМ", _K.FIXED_STRING, 4, "controlCode"),
    (2102, "Режим обработки кода маркировки", _K.BYTE, 1, "labelCodeProcesMode"),
    (2106, "Результат проверки сведений о товаре", _K.MASK8, 1, "checkingProdInformationResult"),
    (1230, "Код страны происхождения товара", _K.FIXED_STRING, 3, "originCountryCode"),
    (1231, "Номер декларации на товар", _K.STRING, 32, "customEntryNum"),
    (1079, "Цена за единицу предмета расчета с учетом скидок и наценок", _K.VLN, 6, "price"),
    (1198, "Размер НДС за единицу предмета расчета", _K.VLN, 6, "unitNds"),
    (1023, "Количество предмета расчета", _K.FVLN, 8, "quantity"),
    (1291, "Дробное количество маркированного товара", _K.STLV, 52, "labeledProdFractionalQuantity"),
    (1229, "Акциз", _K.VLN, 6, "exciseDuty"),
    (1199, "Ставка НДС", _K.BYTE, 1, "nds"),
    (1200, "Сумма НДС за предмет расчета", _K.VLN, 6, "ndsSum"),
    (1043, "Стоимость предмета расчета с учетом скидок и наценок", _K.VLN, 6, "sum"),
    (1260, "Отраслевой реквизит предмета расчета", _K.STLV, unconfirmed.MAX_LENGTH_1260, "itemsIndustryDetails"),
    (1191, "Дополнительный реквизит предмета расчета", _K.STRING, 64, "propertiesItem"),
    # 1223 agent data
    (1075, "Телефон оператора перевода", _K.STRING, 19, "transferOperatorPhone"),
    (1044, "Операция банковского платежного агента", _K.STRING, 24, "paymentAgentOperation"),
    (1073, "Телефон платежного агента", _K.STRING, 19, "paymentAgentPhone"),
    (1074, "Телефон оператора по приему платежей", _K.STRING, 19, "paymentOperatorPhone"),
    (1026, "Наименование оператора перевода", _K.STRING, 64, "transferOperatorName"),
    (1005, "Адрес оператора перевода", _K.STRING, 256, "transferOperatorAddress"),
    (1016, "ИНН оператора перевода", _K.FIXED_STRING, 12, "transferOperatorInn"),
    # 1224 supplier data
    (1171, "Телефон поставщика", _K.STRING, 19, "providerPhone"),
    (1225, "Наименование поставщика", _K.STRING, 256, "providerName"),
    # 1163 product code
    (1300, "КТ Н", _K.STRING, 32, "undefined"),
    (1301, "КТ EAN-8", _K.FIXED_STRING, 8, "ean8"),
    (1302, "КТ EAN-13", _K.FIXED_STRING, 13, "ean13"),
    (1303, "КТ ITF-14", _K.FIXED_STRING, 14, "itf14"),
    (1304, "КТ GS1.0", _K.STRING, 38, "gs1"),
    (1305, "КТ GS1.М", _K.STRING, 38, "gs1m"),
    (1306, "КТ КМК", _K.STRING, 38, "kmk"),
    (1307, "КТ МИ", _K.FIXED_STRING, 20, "mi"),
    (1308, "КТ ЕГАИС-2.0", _K.FIXED_STRING, unconfirmed.LENGTH_1308, "egais2"),
    (1309, "КТ ЕГАИС-3.0", _K.FIXED_STRING, 14, "egais3"),
    (1320, "КТ Ф.1", _K.STRING, 32, "f1"),
    (1321, "КТ Ф.2", _K.STRING, 32, "f2"),
    (1322, "КТ Ф.3", _K.STRING, 32, "f3"),
    (1323, "КТ Ф.4", _K.STRING, 32, "f4"),
    (1324, "КТ Ф.5", _K.STRING, 32, "f5"),
    (1325, "КТ Ф.6", _K.STRING, 32, "f6"),
    # 1256 buyer information
    (1227, "Покупатель (клиент)", _K.STRING, unconfirmed.MAX_LENGTH_1227, "buyer"),
    (1228, "ИНН покупателя (клиента)", _K.FIXED_STRING, 12, "buyerInn"),
    (1243, "Дата рождения покупателя (клиента)", _K.FIXED_STRING, 10, "buyerBirthday"),
    (1244, "Гражданство", _K.FIXED_STRING, 3, "buyerCitizenship"),
    (1245, "Код вида документа, удостоверяющего личность", _K.FIXED_STRING, unconfirmed.LENGTH_1245,
     "buyerDocumentCode"),
    (1246, "Данные документа, удостоверяющего личность", _K.STRING, 64, "buyerDocumentData"),
    (1254, "Адрес покупателя (клиента)", _K.STRING, 256, "buyerAddress"),
    # 1291 fractional quantity
    (1292, "Дробная часть", _K.STRING, 24, "fractionalPart"),
    (1293, "Числитель", _K.VLN, 8, "numerator"),
    (1294, "Знаменатель", _K.VLN, 8, "denominator"),
    # 1260 / 1261 industry requisite
    (1262, "Идентификатор ФОИВ", _K.STRING, 3, "idFoiv"),
    (1263, "Дата документа основания", _K.FIXED_STRING, 10, "foundationDocDateTime"),
    (1264, "Номер документа основания", _K.STRING, 32, "foundationDocNumber"),
    (1265, "Значение отраслевого реквизита", _K.STRING, unconfirmed.MAX_LENGTH_1265, "industryPropValue"),
    # 1270 operational requisite
    (1273, "Дата, время операции", _K.TIME, 4, "dateTime"),
    (1271, "Идентификатор операции", _K.BYTE, 1, "operationId"),
    (1272, "Данные операции", _K.STRING, 64, "operationData"),
    # 1084 additional user requisite
    (1085, "Наименование дополнительного реквизита пользователя", _K.STRING, 64, "propertyName"),
    (1086, "Значение дополнительного реквизита пользователя", _K.STRING, 256, "propertyValue"),
    # §2.5 shift close report (form 5)
    (1118, "Количество кассовых чеков (БСО) за смену", _K.U32, 4, "receiptsQuantity"),
    (1111, "Общее количество ФД за смену", _K.U32, 4, "documentsQuantity"),
    (1097, "Количество непереданных ФД", _K.U32, 4, "notTransmittedDocumentsQuantity"),
    (2104, "Количество непереданных уведомлений", _K.U32, 4, "undeliveredNotificationsNumber"),
    (1098, "Дата первого из непереданных ФД", _K.TIME, 4, "notTransmittedDocumentsDateTime"),
    (2112, "Признак некорректных кодов маркировки", _K.MASK8, 1, None),
    (2113, "Признак некорректных запросов и уведомлений", _K.MASK8, 1, None),
    (1194, "Счетчики итогов смены", _K.STLV, 708, "shiftSumReports"),
    (1278, "Дополнительный реквизит ОЗС", _K.STRING, 32, "additionalPropsCS"),
    (1279, "Дополнительные данные ОЗС", _K.BYTES, 32, "additionalDataCS"),
    # counters 1194 / 1157
    (1134, "Количество чеков (БСО) и чеков коррекции (БСО коррекции) со всеми признаками расчетов",
     _K.U32, 4, "totalReceiptBsoCount"),
    (1129, "Счетчики операций «приход»", _K.STLV, 116, "sellOper"),
    (1130, "Счетчики операций «возврат прихода»", _K.STLV, 116, "sellReturnOper"),
    (1131, "Счетчики операций «расход»", _K.STLV, 116, "buyOper"),
    (1132, "Счетчики операций «возврат расхода»", _K.STLV, 116, "buyReturnOper"),
    (1133, "Счетчики операций по чекам коррекции", _K.STLV, 216, "receiptCorrection"),
    (1135, "Количество чеков (БСО) по признаку расчетов", _K.U32, 4, "receiptBsoCount"),
    # counter sums: minimal VLN writes ≤6 bytes when the sum fits; 8 when it does not (§1.4)
    (1136, "Итоговая сумма в чеках (БСО) наличными", _K.VLN, 8, "cashSum"),
    (1138, "Итоговая сумма в чеках (БСО) безналичными", _K.VLN, 8, "ecashSum"),
    (1218, "Итоговая сумма в чеках (БСО) предоплатами (авансами)", _K.VLN, 8, "prepaidSum"),
    (1219, "Итоговая сумма в чеках (БСО) постоплатами (кредитами)", _K.VLN, 8, "creditSum"),
    (1220, "Итоговая сумма в чеках (БСО) встречными предоставлениями", _K.VLN, 8, "provisionSum"),
    (1201, "Общая итоговая сумма в чеках (БСО)", _K.VLN, 8, "totalSum"),
    (1139, "Сумма НДС по ставке 20%", _K.VLN, 8, "tax18Sum"),
    (1140, "Сумма НДС по ставке 10%", _K.VLN, 8, "tax10Sum"),
    (1141, "Сумма НДС по расч. ставке 20/120", _K.VLN, 8, "tax18118Sum"),
    (1142, "Сумма НДС по расч. ставке 10/110", _K.VLN, 8, "tax10110Sum"),
    (1143, "Сумма расчетов с НДС по ставке 0%", _K.VLN, 8, "tax0Sum"),
    (1183, "Сумма расчетов без НДС", _K.VLN, 8, "taxFreeSum"),
    (1144, "Количество чеков коррекции (БСО коррекции) или непереданных чеков (БСО) и чеков коррекции",
     _K.U32, 4, "receiptCorrectionCount"),
    # 1145/1146 accept ≤100 (§1.4); 1232/1233 have the same content, so the same limit (≤32 cannot
    # hold the seven counters they carry)
    (1145, "Счетчики по признаку «приход»", _K.STLV, 100, "sellCorrection"),
    (1146, "Счетчики по признаку «расход»", _K.STLV, 100, "buyCorrection"),
    (1232, "Счетчики по признаку «возврат прихода»", _K.STLV, 100, "sellReturnCorrection"),
    (1233, "Счетчики по признаку «возврат расхода»", _K.STLV, 100, "buyReturnCorrection"),
    # §2.6 FN close report (form 6)
    (1282, "Дополнительный реквизит ОЗФН", _K.STRING, 32, None),
    (1283, "Дополнительные данные ОЗФН", _K.BYTES, 32, None),
    # §2.7 current settlement status report (form 21)
    (1116, "Номер первого непереданного документа", _K.U32, 4, "notTransmittedDocumentNumber"),
    (1158, "Счетчики итогов непереданных ФД", _K.STLV, 708, "notTransmittedDocumentsSumReports"),
    (1280, "Дополнительный реквизит ОТР", _K.STRING, 32, "additionalPropsCSR"),
    (1281, "Дополнительные данные ОТР", _K.BYTES, 32, "additionalDataCSR"),
]

TAGS: dict[int, TagSpec] = {row[0]: TagSpec(*row) for row in _ROWS}
"""Every requisite of the §2 document tables, by tag number."""

assert len(TAGS) == len(_ROWS), "a tag is listed twice"

DECODE_MAX_LENGTH: dict[int, int] = {
    1227: 256,  # coop-fd; we write ≤128
    1245: 32,  # shtrih; we write exactly 2
    1260: 317,  # coop-fd; we write ≤302
    1261: 317,
    1265: 265,  # shtrih; we write ≤256
    1308: 33,  # shtrih; we write exactly 23
}
"""Where the sources allow more than we write (§1.4): the limit accepted when decoding."""

EXACT_BYTES: frozenset[int] = frozenset({1077})
"""BYTES requisites whose value has exactly `max_length` bytes (the 6-byte fiscal sign)."""

_COUNTER_SUMS = (1136, 1138, 1218, 1219, 1220, 1201)
_OPERATION_COUNTERS = frozenset({1135, *_COUNTER_SUMS, 1139, 1140, 1141, 1142, 1143, 1183})
_CORRECTION_COUNTERS = frozenset({1135, *_COUNTER_SUMS})
_CORRECTION_TOTALS = frozenset({1144, 1145, 1146, 1232, 1233})
_TOTALS = frozenset({1134, 1129, 1130, 1131, 1132, 1133})

CHILDREN: dict[int, frozenset[int]] = {
    1059: frozenset({1214, 1212, 1222, 1223, 1224, 1226, 1030, 2108, 1163, 2115, 2102, 2106, 1230, 1231,
                     1079, 1198, 1023, 1291, 1229, 1199, 1200, 1043, 1260, 1191}),
    1223: frozenset({1075, 1044, 1073, 1074, 1026, 1005, 1016}),
    1224: frozenset({1171, 1225}),
    1163: frozenset({1300, 1301, 1302, 1303, 1304, 1305, 1306, 1307, 1308, 1309,
                     1320, 1321, 1322, 1323, 1324, 1325}),
    1256: frozenset({1227, 1228, 1243, 1244, 1245, 1246, 1254}),
    1291: frozenset({1292, 1293, 1294}),
    1260: frozenset({1262, 1263, 1264, 1265}),
    1261: frozenset({1262, 1263, 1264, 1265}),
    1270: frozenset({1273, 1271, 1272}),
    1084: frozenset({1085, 1086}),
    1174: frozenset({1178, 1179}),
    1194: _TOTALS,
    1157: _TOTALS,
    1129: _OPERATION_COUNTERS,
    1130: _OPERATION_COUNTERS,
    1131: _OPERATION_COUNTERS,
    1132: _OPERATION_COUNTERS,
    1133: _CORRECTION_TOTALS,
    1158: _CORRECTION_TOTALS,
    1145: _CORRECTION_COUNTERS,
    1146: _CORRECTION_COUNTERS,
    1232: _CORRECTION_COUNTERS,
    1233: _CORRECTION_COUNTERS,
}
"""The requisites each STLV holds (§2.4, §2.5, §2.7, §2.8)."""

NESTED_ONLY: frozenset[int] = frozenset().union(*CHILDREN.values())
"""Tags that appear only inside an STLV, never at a document's top level."""

REPEATABLE: frozenset[int] = frozenset({1059, 1073, 1074, 1075, 1260, 1261})
"""Tags that may repeat within one level (§1.1: items, phones; industry requisites)."""


def spec(tag: int) -> TagSpec | None:
    """The specification of `tag`, or None for a tag this library does not know."""
    return TAGS.get(tag)
