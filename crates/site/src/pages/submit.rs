//! Adding a business: the submission form with each error beside its field, and the thank-you page.

use super::*;

/// An option of the category picker: children are indented under their parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryOption {
    pub slug: String,
    pub label: String,
}

/// The category tree as picker options, depth first (also the console's pickers).
pub fn category_options(nodes: &[CategoryNode]) -> Vec<CategoryOption> {
    fn walk(nodes: &[CategoryNode], depth: usize, out: &mut Vec<CategoryOption>) {
        for node in nodes {
            out.push(CategoryOption {
                slug: node.slug.clone(),
                label: format!("{}{}", "— ".repeat(depth), node.name),
            });
            walk(&node.children, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(nodes, 0, &mut out);
    out
}

#[derive(Template)]
#[template(path = "submit.html")]
pub struct SubmitPage {
    pub meta: Meta,
    pub form: FormState,
    pub categories: Vec<CategoryOption>,
    pub states: [StateCode; 3],
}

impl SubmitPage {
    pub async fn load(db: &impl Database, site: &Site, form: FormState) -> DomainResult<Self> {
        let mut meta = Meta::new(
            site,
            "Add your business — Kiamichi Biz Connect".into(),
            "List your business in the Kiamichi country's directory for free. A person reviews every listing \
                before it goes live.".into(),
            "/submit",
            "submit",
        );
        meta.noindex = form.has_errors();
        let categories = category_options(&categories::tree(db).await?);
        Ok(Self {
            meta,
            form,
            categories,
            states: StateCode::ALL,
        })
    }

    /// The id of a field's input, for links from the error summary.
    pub fn field_id(&self, field: &str) -> String {
        format!("submit-{}", field.replace('_', "-"))
    }

    /// The label people see for a field.
    pub fn field_label(&self, field: &str) -> &'static str {
        match field {
            "business_name" => "Business name",
            "category" => "Category",
            "description" => "Description",
            "contact_name" => "Your name",
            "email" => "Email",
            "phone" => "Business phone",
            "website" => "Website",
            "street" => "Street address",
            "city" => "Town",
            "state" => "State",
            "zip" => "ZIP code",
            _ => "This form",
        }
    }

    pub fn html(&self) -> String {
        render(self)
    }
}

#[derive(Template)]
#[template(path = "thanks.html")]
pub struct ThanksPage {
    pub meta: Meta,
}

impl ThanksPage {
    pub fn new(site: &Site) -> Self {
        let mut meta = Meta::new(
            site,
            "Thank you — Kiamichi Biz Connect".into(),
            "Your listing was received and will appear once reviewed.".into(),
            "/submit/thanks",
            "submit",
        );
        meta.noindex = true;
        Self { meta }
    }

    pub fn html(&self) -> String {
        render(self)
    }
}
